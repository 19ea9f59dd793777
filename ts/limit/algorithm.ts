// What every limit algorithm is: a limit, and an update from one finished call (or one window of
// them). The algorithms follow Netflix concurrency-limits' definitions and defaults
// (concurrency-limits-core, limit/{AIMDLimit,VegasLimit,Gradient2Limit}.java), with the fixes for
// their known pitfalls that each file names.

export interface LimitAlgorithm {
  /** The current limit: an integer in [min, max]. */
  readonly limit: number;
  /**
   * One finished call: `rtt` ms from start to end, `inflight` the calls in flight when it started
   * (itself included), `dropped` when it failed or timed out.
   */
  update(rtt: number, inflight: number, dropped: boolean): void;
}

/**
 * Calls per window for Vegas and Gradient2. Netflix feeds them through WindowedLimit, whose windows
 * last at least 1 s and hold at least 10 calls, so in practice hundreds. 10 was too few: with
 * exponentially distributed latency (a coefficient of variation of 1, common for I/O) a 10-call
 * average is off by 30 %, past the 1.5x tolerance often enough that Gradient2 held a flat
 * downstream near 46 of 64 in simulation; 50 calls kept it at 64 and still found a knee.
 */
export const DEFAULT_WINDOW = 50;

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/**
 * Averages samples into windows of `size`, as Netflix's WindowedLimit does before a latency-based
 * algorithm sees them: one call that happens to be fast, or slow, moves a window by 1/size, not
 * the whole estimate. A window reports its mean RTT over the calls that did not drop (a fast
 * failure says nothing about queuing), its largest in-flight count, and whether any call dropped.
 */
export class SampleWindow {
  private rttSum = 0;
  private timed = 0;
  private count = 0;
  private maxInflight = 0;
  private dropped = false;

  constructor(readonly size: number) {}

  /** Adds one call; returns true when the window is full (read it, then it starts anew). */
  add(rtt: number, inflight: number, dropped: boolean): boolean {
    this.count++;
    if (inflight > this.maxInflight) this.maxInflight = inflight;
    if (dropped) this.dropped = true;
    else {
      this.rttSum += rtt;
      this.timed++;
    }
    return this.count >= this.size;
  }

  /** The full window as one sample, and a fresh window. `rtt` is NaN when every call dropped. */
  take(): { rtt: number; inflight: number; dropped: boolean } {
    const out = { rtt: this.timed > 0 ? this.rttSum / this.timed : NaN, inflight: this.maxInflight, dropped: this.dropped };
    this.rttSum = this.timed = this.count = this.maxInflight = 0;
    this.dropped = false;
    return out;
  }
}
