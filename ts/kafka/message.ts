// What a producer sends: the message shape users pass, and its validation into what
// node-rdkafka's produce() takes. Every check runs before anything is produced.
import { CodecError } from '../errors';
import { checkObject, rangeError, typeError } from '../validate';
import type { Codec } from './codec';
import type { Driver } from './driver';
import { checkTopicName } from './topic-name';
import type { Payload } from './settlers';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export type Headers = Record<string, string | Buffer> | [string, string | Buffer][];

/** `V`: what `value` may be; with options.serializer, any value its codec takes (null stays a tombstone). */
export interface OutgoingMessage<V = Buffer | string | null> {
  topic: string;
  value: V;
  key?: Buffer | string | null;
  headers?: Headers;
  /** Default: the partitioner picks. */
  partition?: number;
  timestamp?: number;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: number;
  /** With options.batching: the envelope's id, this message's index in it, and its count. */
  batch?: { id: bigint; index: number; count: number };
}

const COMPRESSION: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec, checked against the ones the linked librdkafka was built with. */
export function checkCompression(driver: Driver, c: unknown): Compression {
  if (c === undefined) return 'none';
  if (typeof c !== 'string' || !COMPRESSION.includes(c as Compression)) {
    throw (typeof c === 'string' ? rangeError : typeError)('options.compression', `one of ${COMPRESSION.join(', ')}`, c);
  }
  if (c !== 'none' && driver.features && !driver.features.includes(c)) {
    throw rangeError(
      'options.compression',
      `a codec this librdkafka ${driver.librdkafkaVersion ?? ''} was built with (${driver.features.filter((f) => COMPRESSION.includes(f as Compression)).join(', ') || 'none'})`,
      c,
    );
  }
  return c as Compression;
}

/** A key or value as bytes; errors name it `${message}.${field}` (built only then: toPayload runs per send). */
function toBuffer(message: string, field: string, v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  throw typeError(`${message}.${field}`, 'a Buffer, a string or null', v);
}

/** How errors name header `k` (made for an error only: a name built per header was garbage per send). */
const headerName = (message: string, k: string): string => `${message}.headers["${k}"]`;

/**
 * Header values as produce() takes them. Unpatched node-rdkafka sends a header value as a C string
 * made from its UTF-8 text: a NUL byte ends it and bytes that are not UTF-8 are replaced; with such a
 * driver (`binary` false) those values are refused rather than lost. A driver that sends bytes as
 * they are (binary-headers.ts) takes any Buffer and any string.
 */
function toHeaders(h: Headers | undefined, message: string, binary: boolean): Record<string, Buffer | string>[] | undefined {
  if (h === undefined) return undefined;
  if (typeof h !== 'object' || h === null) throw typeError(`${message}.headers`, 'an object or an array of [key, value] pairs', h);
  const entries = Array.isArray(h) ? h : Object.entries(h);
  return entries.map(([k, v]) => {
    if (typeof k !== 'string' || k === '' || k.includes('\0')) throw typeError(`${message}.headers key`, 'a non-empty string without NUL', k);
    if (binary && (typeof v === 'string' || Buffer.isBuffer(v))) return { [k]: v };
    if (typeof v === 'string') {
      if (v.includes('\0')) throw rangeError(headerName(message, k), 'text without NUL characters (node-rdkafka ends header values at the first NUL)', v);
    } else if (Buffer.isBuffer(v)) {
      if (v.includes(0) || !Buffer.from(v.toString('utf8'), 'utf8').equals(v)) {
        throw rangeError(
          headerName(message, k),
          'UTF-8 bytes without NUL (this node-rdkafka sends header values as C strings: patch it with `npx velo-retry patch-node-rdkafka`, or base64-encode binary values)',
          v,
        );
      }
    } else {
      throw typeError(headerName(message, k), 'a string or Buffer', v);
    }
    return { [k]: v };
  });
}

/** The value through its codec; a failure names the message and the field ('messages[3].value.amount'). */
function encoded(message: string, codec: Codec, value: unknown): Buffer {
  try {
    return codec.serialize(value);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    const name = `${message}.value`;
    const at = e.field === undefined ? name : e.field.startsWith('(the value)') ? name + e.field.slice('(the value)'.length) : `${name}.${e.field}`;
    throw new CodecError(e.codec, 'encode', e.detail, at, e.cause);
  }
}

/** A Payload to fill: toPayload's `into` (what send() reuses: its Send copies the fields at once). */
export function newPayload(): Payload {
  return { topic: '', partition: null, timestamp: null, value: null, key: null, headers: undefined };
}

/**
 * Validates a message and converts what librdkafka needs; `name` is how errors refer to it. Into a
 * new Payload, or `into`, overwritten (a payload copied right away is then not one more object per
 * message for the GC: 72 bytes of 500 a send allocates); on a throw, `into` is left part-filled.
 */
export function toPayload(m: OutgoingMessage<unknown>, name: string, binaryHeaders: boolean, codec?: Codec, into: Payload = newPayload()): Payload {
  checkObject(name, m);
  checkTopicName(name, m.topic, 'topic');
  if (m.partition !== undefined && (typeof m.partition !== 'number' || !Number.isInteger(m.partition) || m.partition < 0)) {
    throw (typeof m.partition === 'number' ? rangeError : typeError)(`${name}.partition`, 'an integer >= 0', m.partition);
  }
  if (m.timestamp !== undefined && m.timestamp !== null && (typeof m.timestamp !== 'number' || !Number.isInteger(m.timestamp) || m.timestamp < 0)) {
    throw (typeof m.timestamp === 'number' ? rangeError : typeError)(`${name}.timestamp`, 'epoch milliseconds (an integer >= 0)', m.timestamp);
  }
  // A null value is a tombstone, which deletes the key on a compacted topic: it must be asked for.
  if (m.value === undefined) throw typeError(`${name}.value`, 'a Buffer or a string, or null for a tombstone (undefined is not taken as one)', m.value);
  const p = into as { -readonly [K in keyof Payload]: Payload[K] };
  p.value = m.value === null ? null : codec ? encoded(name, codec, m.value) : toBuffer(name, 'value', m.value);
  p.key = m.key === undefined ? null : toBuffer(name, 'key', m.key);
  p.headers = toHeaders(m.headers, name, binaryHeaders);
  p.topic = m.topic;
  p.partition = m.partition ?? null;
  p.timestamp = m.timestamp ?? null;
  return p;
}
