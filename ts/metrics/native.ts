// The Rust twin: totals live in Rust (crates/core/src/metrics/) and are process-wide. This thread
// writes events into its own ring of Rust-owned memory, one Float64Array element per event: the
// integer (attempts*256 + category*16 + lap*8 + timedOut*4 + kind) * 2^32 + latency in µs, exact
// below 2^53, so one aligned 8-byte store publishes a whole event. `lap` is the parity of the ring
// lap, which lets Rust tell fresh slots from stale ones without anyone clearing them. Rust's
// aggregator thread drains the rings and publishes how far it got (the tail) in the ring's header;
// this side reads it only when its cached copy says the ring may be full. Recording never crosses
// N-API, except when the ring is full (one drain call) or an event does not fit a slot (attempts
// >= 2^13, latency >= 2^32 µs, about 71 minutes).
import { NativeUnavailableError } from '../errors';
import { native, nativeStatus, type NativeBinding } from '../native/load';
import { rangeError } from '../validate';
import type { NativeMetrics } from '../native/binding';
import { micros } from './histogram';
import { snapshotFrom } from './js';
import { EventKind, MAX_RING_ATTEMPTS, MAX_RING_US, type MetricsSnapshot, type MetricsTwin } from './twin';

/** Slots per thread: 2^14 x 8 bytes; the aggregator empties them every 20 ms. */
const SHIFT = 14;
const RING_SLOTS = 1 << SHIFT;
/** The header before the slots: the tail, alone on a 64-byte cache line. */
const HEADER_BYTES = 64;
const TWO_32 = 2 ** 32;
// Module-scope copies: a property load from another module's exports on every event showed in the
// bench row "metrics, record one event".
const SUCCESS = EventKind.Success;
const FAILURE = EventKind.Failure;
const RETRY = EventKind.Retry;
const MAX_ATTEMPTS = MAX_RING_ATTEMPTS;
const MAX_US = MAX_RING_US;

/** The binding's totals, new or found by share id; an id naming no live totals is a RangeError naming it. */
function attachTotals(binding: NativeBinding, shareId: number | undefined): NativeMetrics {
  try {
    return new binding.NativeMetrics(shareId);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('ERR_METRICS_NOT_FOUND')) throw e;
    throw rangeError('shareId', 'the shareId of live RetryMetrics in this process (RetryMetrics.shareId)', shareId, 'ERR_METRICS_NOT_FOUND');
  }
}

export class NativeRingMetrics implements MetricsTwin {
  private readonly m: NativeMetrics;
  private readonly tail: Uint32Array;
  private readonly slots: Float64Array;
  /** 32-bit counters, as in Rust; head - tail (mod 2^32) is the number of unread slots. */
  private head = 0;
  private cachedTail = 0;

  /** New totals, or with `shareId` the totals another thread created. */
  constructor(shareId?: number) {
    if (!native) throw new NativeUnavailableError('RetryMetrics', nativeStatus.reason);
    this.m = attachTotals(native, shareId);
    const memory = this.m.attachRing(RING_SLOTS);
    this.tail = new Uint32Array(memory, 0, 1);
    this.slots = new Float64Array(memory, HEADER_BYTES, RING_SLOTS);
  }

  get shareId(): number {
    return this.m.id;
  }

  private push(meta: number, us: number): void {
    const head = this.head;
    if ((head - this.cachedTail) >>> 0 >= RING_SLOTS) this.makeRoom(head);
    this.slots[head & (RING_SLOTS - 1)] = (meta + ((head >>> SHIFT) & 1) * 8) * TWO_32 + us;
    this.head = (head + 1) >>> 0;
  }

  /** The ring looks full: read the consumer's progress; still full, drain now (one call) rather than drop. */
  private makeRoom(head: number): void {
    this.cachedTail = Atomics.load(this.tail, 0);
    if ((head - this.cachedTail) >>> 0 >= RING_SLOTS) {
      this.m.drain();
      this.cachedTail = Atomics.load(this.tail, 0);
    }
  }

  // The common event passes one test: a latency that fits a slot (0 <= µs < 2^32; NaN fails) and
  // attempts that fit. Anything else goes to `unusual`, which applies micros() and the limits.
  success(attempts: number, latencyMs: number): void {
    const us = Math.floor(latencyMs * 1000);
    if (us >= 0 && us < MAX_US && attempts <= MAX_ATTEMPTS) this.push(attempts * 256 + SUCCESS, us);
    else this.unusual(SUCCESS, 0, attempts, false, latencyMs);
  }

  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void {
    const us = Math.floor(latencyMs * 1000);
    if (us >= 0 && us < MAX_US && attempts <= MAX_ATTEMPTS) this.push(attempts * 256 + category * 16 + (timedOut ? 4 : 0) + FAILURE, us);
    else this.unusual(FAILURE, category, attempts, timedOut, latencyMs);
  }

  retry(category: number): void {
    this.push(category * 16 + RETRY, 0);
  }

  /** A latency below 0 or NaN (recorded as 0 µs), or an event too large for a slot (recorded by one N-API call). */
  private unusual(kind: number, category: number, attempts: number, timedOut: boolean, latencyMs: number): void {
    const us = micros(latencyMs);
    if (attempts > MAX_ATTEMPTS || us >= MAX_US) return this.m.record(kind, category, attempts, timedOut, latencyMs);
    this.push(attempts * 256 + category * 16 + (timedOut ? 4 : 0) + kind, us);
  }

  snapshot(): MetricsSnapshot {
    const f = this.m.snapshot();
    return snapshotFrom(f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f.subarray(14), f[8]!, f[9]!, f[10]!, f[11]!, f[12]!, f[13]!);
  }

  prometheus(prefix: string): string {
    return this.m.toPrometheus(prefix);
  }

  reset(): void {
    this.m.reset();
  }
}
