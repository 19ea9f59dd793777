// The log-linear latency histogram over whole microseconds, shared by the TS metrics twin and the
// PerformanceCollector: 16 exact buckets, then 8 per power of two (12.5 % wide), up to 2^44 µs.
// Bucket math mirrors crates/core/src/metrics/histogram.rs, so both twins give the same quantiles.
import type { LatencySummary } from './twin';

const EXACT = 16;
const MAX_EXP = 44;
export const BUCKETS = EXACT + ((MAX_EXP - 4) << 3);
const TWO_32 = 2 ** 32;

export function micros(ms: number): number {
  const us = Math.floor(ms * 1000);
  return us > 0 ? Math.min(us, Number.MAX_SAFE_INTEGER) : 0;
}

export function bucketOf(us: number): number {
  if (us < EXACT) return us;
  if (us < TWO_32) {
    // The common case, in 32-bit integer operations.
    const exp = 31 - Math.clz32(us);
    return EXACT + ((exp - 4) << 3) + ((us >>> (exp - 3)) & 7);
  }
  const exp = 63 - Math.clz32(Math.floor(us / TWO_32));
  if (exp >= MAX_EXP) return BUCKETS - 1;
  const sub = Math.floor(us / 2 ** (exp - 3)) & 7;
  return EXACT + ((exp - 4) << 3) + sub;
}

export function bucketUpper(b: number): number {
  if (b < EXACT) return b + 1;
  const i = b - EXACT;
  const exp = (i >> 3) + 4;
  return (8 + (i & 7) + 1) * 2 ** (exp - 3);
}

export class LatencyHistogram {
  private readonly buckets = new Float64Array(BUCKETS);
  count = 0;
  sumUs = 0;
  maxUs = 0;

  add(latencyMs: number): void {
    const us = micros(latencyMs);
    this.buckets[bucketOf(us)]!++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The `p`th percentile in µs: its bucket's upper bound, clamped to the largest seen. */
  quantileUs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.floor((this.count * p + 99) / 100));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.buckets[b]!;
      if (seen >= rank) return Math.min(bucketUpper(b), this.maxUs);
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    const c = this.count;
    return {
      count: c,
      mean: c === 0 ? 0 : this.sumUs / c / 1000,
      p50: this.quantileUs(50) / 1000,
      p90: this.quantileUs(90) / 1000,
      p99: this.quantileUs(99) / 1000,
      max: this.maxUs / 1000,
    };
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = this.sumUs = this.maxUs = 0;
  }
}
