// Counts over a sliding time window, kept in BUCKETS buckets (resolution window / BUCKETS): the
// circuit breaker's calls and failures, the PerformanceCollector's messages, errors and bytes.
// Adding is O(1); moving on empties only the buckets passed over.

/** Buckets the window is counted in. */
const BUCKETS = 10;

export class SlidingWindow {
  private readonly counts: Float64Array;
  private bucketStart: number;
  private bucket = 0;
  private startedAt: number;

  constructor(
    /** The window, ms. */
    readonly windowMs: number,
    /** How many counts each bucket holds (e.g. 2: calls and failures). */
    private readonly fields: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.counts = new Float64Array(BUCKETS * fields);
    this.startedAt = this.bucketStart = clock();
  }

  /** Adds `n` to count `field` in the bucket that holds now. */
  add(field: number, n = 1): void {
    this.roll();
    this.counts[this.bucket * this.fields + field]! += n;
  }

  /** Adds `n` to count `field` and `m` to count `other`, with one look at the clock. */
  addPair(field: number, n: number, other: number, m: number): void {
    this.roll();
    const at = this.bucket * this.fields;
    this.counts[at + field]! += n;
    this.counts[at + other]! += m;
  }

  /** Count `field` over the window. */
  sum(field: number): number {
    this.roll();
    let total = 0;
    for (let b = 0; b < BUCKETS; b++) total += this.counts[b * this.fields + field]!;
    return total;
  }

  /** How much of the window has passed since it started (ms): a rate over a young window divides by this. */
  covered(): number {
    return Math.min(this.windowMs, this.clock() - this.startedAt);
  }

  /** Empties it: a fresh window from now. */
  clear(): void {
    this.counts.fill(0);
    this.startedAt = this.bucketStart = this.clock();
    this.bucket = 0;
  }

  /** Moves on to the bucket that holds now, emptying the buckets passed over. */
  private roll(): void {
    const width = this.windowMs / BUCKETS;
    const now = this.clock();
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps <= 0) return;
    this.bucketStart += steps * width;
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.counts.fill(0, this.bucket * this.fields, (this.bucket + 1) * this.fields);
    }
  }
}
