// Compression advice: which of librdkafka's codecs suits these payloads, measured. librdkafka
// compresses whole record batches, so the samples are compressed as batches (of `batchBytes`,
// default 64 KiB) in one native call (crates/core/src/compress.rs: gzip 6, lz4, zstd 3, snappy,
// librdkafka's default levels), each round trip checked. Without the native binding, a TS twin
// answers from an order-0 entropy estimate only (no speeds), and says so in `method`.
import { NativeUnavailableError } from '../errors';
import { native, nativeStatus } from '../native/load';
import { checkNumber, checkObject, rangeError, typeError } from '../validate';
import { loadDriver, type Driver } from './driver';
import type { Compression } from './message';

export type CompressionCodec = Exclude<Compression, 'none'>;
const CODECS: readonly CompressionCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

export interface CompressionOptions {
  /** 'latency' (default): the fastest round trip that saves bytes. 'bandwidth': the fewest bytes. */
  goal?: 'latency' | 'bandwidth';
  /** Bytes per trial batch, as librdkafka would fill one under load; default 65,536. */
  batchBytes?: number;
  /** The driver whose librdkafka decides which codecs exist; default: the one velo-retry/kafka loads. */
  driver?: unknown;
  /** 'native' (default when the binding loads): trial compression; 'js': the entropy estimate. */
  implementation?: 'native' | 'js';
}

export interface CodecFigures {
  codec: CompressionCodec;
  /** Bytes in / bytes out: 2 means half the bytes on the wire. */
  ratio: number;
  /** MB (10^6 bytes) of input per second; null for the estimate. */
  compressMBps: number | null;
  decompressMBps: number | null;
}

export interface CompressionAdvice {
  recommendation: Compression;
  /** Why, in a sentence with the figures. */
  reason: string;
  goal: 'latency' | 'bandwidth';
  /** 'trial': compressed for real; 'entropy-estimate': the TS fallback, ratios estimated, no speeds. */
  method: 'trial' | 'entropy-estimate';
  samples: number;
  bytes: number;
  /** Per codec tried, in librdkafka's naming. */
  codecs: CodecFigures[];
  /** Codecs not tried, and why (not in the linked librdkafka). */
  skipped: { codec: CompressionCodec; why: string }[];
}

/** Below this ratio, compression saves under 10 % of the bytes: not worth the CPU. */
const WORTH = 1.1;
const BUDGET_MS = 20;

/** The samples as bytes, checked: a non-empty array of Buffers, Uint8Arrays or strings. */
export function checkSamples(name: string, samples: unknown): Buffer[] {
  if (!Array.isArray(samples)) throw typeError(name, 'an array of Buffers or strings (sampled payloads)', samples);
  const out = samples.map((s, i) => {
    if (Buffer.isBuffer(s)) return s;
    if (s instanceof Uint8Array) return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    if (typeof s === 'string') return Buffer.from(s);
    throw typeError(`${name}[${i}]`, 'a Buffer, a Uint8Array or a string', s);
  });
  if (out.reduce((n, b) => n + b.length, 0) === 0) throw rangeError(name, 'payloads with at least one byte in all', samples);
  return out;
}

/** Trial-compresses sampled payloads and recommends a codec for `compression.codec`. */
export function recommendCompression(samples: readonly (Buffer | Uint8Array | string)[], options: CompressionOptions = {}): CompressionAdvice {
  checkObject('options', options);
  const bytes = checkSamples('samples', samples);
  const goal = options.goal ?? 'latency';
  if (goal !== 'latency' && goal !== 'bandwidth') throw (typeof goal === 'string' ? rangeError : typeError)('options.goal', '"latency" or "bandwidth"', goal);
  const batchBytes = checkNumber('options.batchBytes', options.batchBytes ?? 65_536, 1, 0xffff_ffff, true);
  const impl = options.implementation ?? (native ? 'native' : 'js');
  if (impl !== 'native' && impl !== 'js') throw rangeError('options.implementation', '"native" or "js"', impl);
  if (impl === 'native' && !native) throw new NativeUnavailableError('recommendCompression', nativeStatus.reason);
  const { available, skipped } = linked(options.driver);
  const total = bytes.reduce((n, b) => n + b.length, 0);
  const codecs: CodecFigures[] =
    impl === 'native'
      ? native!.trialCompress(bytes, available, batchBytes, BUDGET_MS).map((t) => ({
          codec: t.codec as CompressionCodec,
          ratio: t.input / t.output,
          compressMBps: t.compressMbps,
          decompressMBps: t.decompressMbps,
        }))
      : estimate(bytes, available);
  const base = { goal, method: impl === 'native' ? ('trial' as const) : ('entropy-estimate' as const), samples: bytes.length, bytes: total, codecs, skipped };
  return { ...base, ...decide(codecs, goal, impl === 'native') };
}

/** The codecs the driver's librdkafka was built with; all four when it does not say. */
function linked(explicit: unknown): { available: CompressionCodec[]; skipped: { codec: CompressionCodec; why: string }[] } {
  let driver: Driver | undefined;
  try {
    driver = loadDriver(explicit);
  } catch (e) {
    if (explicit !== undefined) throw e;
  }
  const features = driver?.features;
  if (features === undefined) return { available: [...CODECS], skipped: [] };
  const why = `not in this librdkafka ${driver?.librdkafkaVersion ?? ''} (built with ${features.join(', ')})`.replace('  ', ' ');
  return {
    available: CODECS.filter((c) => features.includes(c)),
    skipped: CODECS.filter((c) => !features.includes(c)).map((codec) => ({ codec, why })),
  };
}

function decide(codecs: CodecFigures[], goal: 'latency' | 'bandwidth', measured: boolean): { recommendation: Compression; reason: string } {
  if (codecs.length === 0) return { recommendation: 'none', reason: 'the linked librdkafka has none of gzip, snappy, lz4, zstd' };
  const best = Math.max(...codecs.map((c) => c.ratio));
  if (best < WORTH) {
    return { recommendation: 'none', reason: `the best codec saves under 10 % (ratio ${best.toFixed(2)}): incompressible, not worth the CPU` };
  }
  const worth = codecs.filter((c) => c.ratio >= WORTH);
  if (!measured) {
    const order: CompressionCodec[] = goal === 'latency' ? ['lz4', 'snappy', 'zstd', 'gzip'] : ['zstd', 'gzip', 'lz4', 'snappy'];
    const pick = order.find((c) => worth.some((w) => w.codec === c))!;
    return {
      recommendation: pick,
      reason: `estimated ratio ${best.toFixed(2)} from byte entropy (no trial: the native binding is not loaded); ${pick} is the usual ${goal === 'latency' ? 'fast' : 'dense'} choice`,
    };
  }
  const mbps = (c: CodecFigures) => `${c.compressMBps!.toFixed(0)} MB/s compress, ${c.decompressMBps!.toFixed(0)} MB/s decompress`;
  if (goal === 'latency') {
    // Seconds per MB through both ends: what compression adds to a message's way.
    const cost = (c: CodecFigures) => 1 / c.compressMBps! + 1 / c.decompressMBps!;
    const pick = worth.reduce((a, b) => (cost(b) < cost(a) ? b : a));
    return { recommendation: pick.codec, reason: `the fastest round trip that saves bytes: ratio ${pick.ratio.toFixed(2)}, ${mbps(pick)}` };
  }
  // Bandwidth: the fewest bytes; among codecs within 3 % of the best ratio, the fastest to compress.
  const close = worth.filter((c) => c.ratio >= best / 1.03);
  const pick = close.reduce((a, b) => (b.compressMBps! > a.compressMBps! ? b : a));
  return { recommendation: pick.codec, reason: `the fewest bytes on the wire: ratio ${pick.ratio.toFixed(2)}, ${mbps(pick)}` };
}

/** The TS twin: one ratio for every codec, from order-0 byte entropy over all the samples. */
function estimate(samples: Buffer[], codecs: CompressionCodec[]): CodecFigures[] {
  const counts = new Float64Array(256);
  let n = 0;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) counts[s[i]!]!++;
    n += s.length;
  }
  let bits = 0;
  for (const c of counts) if (c > 0) bits -= (c / n) * Math.log2(c / n);
  const ratio = 8 / Math.max(bits, 0.05);
  return codecs.map((codec) => ({ codec, ratio, compressMBps: null, decompressMBps: null }));
}
