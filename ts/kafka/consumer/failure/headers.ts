// The headers of the failure paths, with Spring Kafka's names and encodings, so JVM tooling reads
// velo-retry's retry records and dead letters as its own (spring-kafka KafkaHeaders,
// RetryTopicHeaders, DeadLetterRecordManager): text as UTF-8, a partition as a 4-byte big-endian
// int, an offset and a timestamp as 8-byte big-endian longs, the due time as Java
// BigInteger.toByteArray() (minimal two's-complement, big-endian). velo-retry adds its own
// (category, attempts, error) as UTF-8 text.
//
// Binary values need a driver that sends header bytes as they are (binary-headers.ts). Without
// one every value goes out as decimal or plain text instead, and the record carries
// `velo-retry-header-encoding: text`, so a reader (this one included) knows which it got.

export const H = {
  dueAt: 'retry_topic-backoff-timestamp',
  retryAttempts: 'retry_topic-attempts',
  retryOriginalTimestamp: 'retry_topic-original-timestamp',
  topic: 'kafka_dlt-original-topic',
  partition: 'kafka_dlt-original-partition',
  offset: 'kafka_dlt-original-offset',
  timestamp: 'kafka_dlt-original-timestamp',
  timestampType: 'kafka_dlt-original-timestamp-type',
  group: 'kafka_dlt-original-consumer-group',
  exceptionFqcn: 'kafka_dlt-exception-fqcn',
  exceptionCauseFqcn: 'kafka_dlt-exception-cause-fqcn',
  exceptionMessage: 'kafka_dlt-exception-message',
  exceptionStacktrace: 'kafka_dlt-exception-stacktrace',
  category: 'velo-retry-category',
  attempts: 'velo-retry-attempts',
  encoding: 'velo-retry-header-encoding',
} as const;

/** Every header the failure paths write: what a redrive strips. */
export const FAILURE_HEADERS: ReadonlySet<string> = new Set(Object.values(H));

/** Writes values in Spring's binary encodings, or as text when the driver cannot send bytes. */
export class HeaderCodec {
  constructor(readonly binary: boolean) {}

  int32(n: number): Buffer | string {
    if (!this.binary) return String(n);
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  }

  int64(n: number): Buffer | string {
    if (!this.binary) return String(n);
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(Math.trunc(n)));
    return b;
  }

  /** Java's BigInteger.valueOf(n).toByteArray(): the shortest two's-complement big-endian bytes. */
  bigInteger(n: number): Buffer | string {
    if (!this.binary) return String(n);
    return bigIntegerBytes(BigInt(Math.trunc(n)));
  }
}

export function bigIntegerBytes(n: bigint): Buffer {
  const bytes: number[] = [];
  let v = n;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, v));
    bytes.unshift(byte);
    v >>= 8n;
    // Done when the rest is all sign: 0 with a clear top bit, or -1 with a set one.
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

/** The headers of a consumed record, by name (the last value of a name wins, as Kafka's lastHeader). */
export type RecordHeaders = Readonly<Record<string, Buffer>>;

function isText(h: RecordHeaders): boolean {
  return h[H.encoding]?.toString() === 'text';
}

/** A number header written by HeaderCodec (or by Spring), or undefined when absent or malformed. */
export function readNumber(h: RecordHeaders, name: string, kind: 'int32' | 'int64' | 'bigInteger'): number | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  if (isText(h)) {
    const text = v.toString();
    return /^-?\d{1,16}$/.test(text) ? Number(text) : undefined;
  }
  if (kind === 'int32') return v.length === 4 ? v.readInt32BE(0) : undefined;
  if (kind === 'int64') return v.length === 8 ? Number(v.readBigInt64BE(0)) : undefined;
  if (v.length === 0 || v.length > 8) return undefined;
  let n = BigInt.asIntN(8, BigInt(v[0]!));
  for (let i = 1; i < v.length; i++) n = (n << 8n) | BigInt(v[i]!);
  return Number(n);
}

export function readText(h: RecordHeaders, name: string): string | undefined {
  return h[name]?.toString('utf8');
}
