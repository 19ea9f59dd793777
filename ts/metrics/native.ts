// The Rust twin: totals live in Rust (crates/core/src/metrics.rs) and are process-wide. This thread
// writes events into its own ring of Rust-owned memory (two 32-bit words a slot: the f32 latency,
// then the tag, published with one Atomics.store), and Rust's aggregator thread drains the rings.
// Recording therefore never crosses N-API, except when the ring is full (then one drain call) or
// an event's attempts do not fit the tag.
import { native } from '../native/load';
import type { NativeMetrics } from '../native/binding';
import { snapshotFrom } from './js';
import { EventKind, MAX_RING_ATTEMPTS, type MetricsSnapshot, type MetricsTwin } from './twin';

/** Slots per thread: 4096 x 8 bytes; the aggregator empties them every 20 ms. */
const RING_SLOTS = 4096;

export class NativeRingMetrics implements MetricsTwin {
  private readonly m: NativeMetrics;
  private readonly tags: Uint32Array;
  private readonly latencies: Float32Array;
  private readonly mask = RING_SLOTS - 1;
  private head = 0;

  /** New totals, or with `shareId` the totals another thread created. */
  constructor(shareId?: number) {
    if (!native) throw new Error('velo-retry: the native binding is not loaded');
    this.m = new native.NativeMetrics(shareId);
    const memory = this.m.attachRing(RING_SLOTS);
    this.tags = new Uint32Array(memory);
    this.latencies = new Float32Array(memory);
  }

  get shareId(): number {
    return this.m.id;
  }

  private push(tag: number, latencyMs: number): void {
    const i = (this.head & this.mask) << 1;
    // Occupied: the aggregator has not caught up. Drain now (one call) rather than drop or wait.
    if (Atomics.load(this.tags, i) !== 0) this.m.drain();
    this.latencies[i + 1] = latencyMs;
    // The release that publishes the latency word with the tag; Rust loads the tag with acquire.
    Atomics.store(this.tags, i, tag);
    this.head = (this.head + 1) | 0;
  }

  success(attempts: number, latencyMs: number): void {
    if (attempts > MAX_RING_ATTEMPTS) return this.m.record(EventKind.Success, 0, attempts, false, latencyMs);
    this.push(EventKind.Success | (attempts << 8), latencyMs);
  }

  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void {
    if (attempts > MAX_RING_ATTEMPTS) return this.m.record(EventKind.Failure, category, attempts, timedOut, latencyMs);
    this.push(EventKind.Failure | (timedOut ? 4 : 0) | (category << 4) | (attempts << 8), latencyMs);
  }

  retry(category: number): void {
    this.push(EventKind.Retry | (category << 4), 0);
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
