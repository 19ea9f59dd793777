// The Rust twin: totals live in Rust (crates/core/src/metrics.rs) and are process-wide. This thread
// writes events into its own ring of Rust-owned memory, one Float64Array element per event: the
// integer (attempts*128 + category*8 + timedOut*4 + kind) * 2^32 + latency in µs, exact below 2^53,
// so one aligned 8-byte store publishes a whole event and no ordering between words is needed.
// Rust's aggregator thread drains the rings. Recording never crosses N-API, except when this
// thread's ring is full (one drain call) or an event does not fit a slot (attempts >= 2^14,
// latency >= 2^32 µs, about 71 minutes).
import { native } from '../native/load';
import type { NativeMetrics } from '../native/binding';
import { micros, snapshotFrom } from './js';
import { EventKind, MAX_RING_ATTEMPTS, MAX_RING_US, type MetricsSnapshot, type MetricsTwin } from './twin';

/** Slots per thread: 16384 x 8 bytes; the aggregator empties them every 20 ms. */
const RING_SLOTS = 16384;
const TWO_32 = 2 ** 32;

export class NativeRingMetrics implements MetricsTwin {
  private readonly m: NativeMetrics;
  private readonly slots: Float64Array;
  private readonly mask = RING_SLOTS - 1;
  private head = 0;

  /** New totals, or with `shareId` the totals another thread created. */
  constructor(shareId?: number) {
    if (!native) throw new Error('velo-retry: the native binding is not loaded');
    this.m = new native.NativeMetrics(shareId);
    this.slots = new Float64Array(this.m.attachRing(RING_SLOTS));
  }

  get shareId(): number {
    return this.m.id;
  }

  private push(meta: number, us: number): void {
    const i = this.head & this.mask;
    // Occupied: the aggregator has not caught up. Drain now (one call) rather than drop or wait.
    if (this.slots[i] !== 0) this.m.drain();
    this.slots[i] = meta * TWO_32 + us;
    this.head = (this.head + 1) | 0;
  }

  success(attempts: number, latencyMs: number): void {
    const us = micros(latencyMs);
    if (attempts > MAX_RING_ATTEMPTS || us >= MAX_RING_US) return this.m.record(EventKind.Success, 0, attempts, false, latencyMs);
    this.push(attempts * 128 + EventKind.Success, us);
  }

  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void {
    const us = micros(latencyMs);
    if (attempts > MAX_RING_ATTEMPTS || us >= MAX_RING_US) return this.m.record(EventKind.Failure, category, attempts, timedOut, latencyMs);
    this.push(attempts * 128 + category * 8 + (timedOut ? 4 : 0) + EventKind.Failure, us);
  }

  retry(category: number): void {
    this.push(category * 8 + EventKind.Retry, 0);
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
