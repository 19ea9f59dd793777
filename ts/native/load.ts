// Finds the native binding. Order: an explicit path (VELO_RETRY_NATIVE_PATH), the binary a local
// build leaves at the package root, then the per-platform npm package. Every path tried and every
// error is kept, so a failed load says exactly what happened; the façade then uses the TS twins.
//
// Which twin serves which call shape, and the bench row (`npm run bench`) that decided it. One
// N-API call into napi-rs costs 130-400 ns here, so a shape whose TS work is smaller stays in TS:
//
//   call shape                              served by   bench row (hot paths: ...)
//   parseDuration, one string               TS          parseDuration, cache hit / miss
//   calculateDelay and jitter, one delay    TS          calculateDelay, x1.5 table / x2 shift / x1.7 general
//   categorizeError, one error              TS          classify one error by code / by text
//   categorizeErrors / Messages, >= 32      native      classify a batch of 10,000 messages
//   RetryMetrics recording                  native      metrics, record one event (saturated / bursts):
//                                                       a shared-memory ring, no call per event,
//                                                       process-wide totals across worker threads
//   BufferPool get / release                native      buffer get + release; GC runs over 1,000,000
//                                                       buffer cycles: the slab is off the JS heap
//   envelope encode                         TS          envelopes, encode 100 x 1 KiB (Rust: a
//                                                       crossing per part, ~5x slower)
//   envelope layout, >= 8 messages          native      envelopes, decode (layout ~half the TS
//                                                       twin's per message from ~10 messages)
//   envelope layout, < 8 messages           TS          (one call costs more than the layout)
//   recommendCompression                    native      compression advice (the TS twin can only
//                                                       estimate ratios from entropy, no speeds)
//
// The per-call shapes' Rust twins stay as the conformance reference (`reference*` exports,
// bench/reference.cjs): the suite holds the TS twins to them, and the bench measures them.
import { join } from 'node:path';
import type * as Binding from './binding';

export type NativeBinding = typeof Binding;

export interface NativeStatus {
  /** The loaded binding, or null when the TS twins serve every call. */
  binding: NativeBinding | null;
  /** Where it came from, when loaded. */
  loadedFrom: string | null;
  /** Why it is not loaded (null when loaded). */
  reason: string | null;
  /** Every candidate tried, in order, each with its outcome. */
  tried: string[];
}

/** `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`...: the napi-rs platform suffix. */
export function platformTriple(platform: string = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') {
    const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const libc = report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
    return `linux-${arch}-${libc}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const packageRoot = join(__dirname, '..', '..');

export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeStatus {
  const tried: string[] = [];
  if (env.VELO_RETRY_FORCE_JS === '1') {
    return { binding: null, loadedFrom: null, reason: 'VELO_RETRY_FORCE_JS=1 forces the TS implementation', tried };
  }
  const triple = platformTriple();
  const candidates = env.VELO_RETRY_NATIVE_PATH ? [env.VELO_RETRY_NATIVE_PATH] : [join(packageRoot, `velo-retry.${triple}.node`), `velo-retry-${triple}`];
  for (const candidate of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const binding = require(candidate) as NativeBinding;
      if (typeof binding.classifyJoined !== 'function') throw new Error('not a velo-retry binding (no classifyJoined export)');
      tried.push(`${candidate}: loaded`);
      return { binding, loadedFrom: candidate, reason: null, tried };
    } catch (e) {
      tried.push(`${candidate}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const reason = `no native binding for ${triple} could be loaded; tried ${tried.join('; ')}`;
  return { binding: null, loadedFrom: null, reason, tried };
}

export const nativeStatus: NativeStatus = loadNative();

/** The binding, or null. Each hot path's `native.ts` reads this once. */
export const native = nativeStatus.binding;

if (!native && process.env.VELO_RETRY_FORCE_JS !== '1') {
  // Said once per process; `nativeStatus.reason` keeps the details for programs that ask.
  process.emitWarning(`velo-retry: using the TypeScript implementation (${nativeStatus.reason})`, { code: 'VELO_RETRY_NATIVE_UNAVAILABLE' });
}
