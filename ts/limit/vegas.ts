// Vegas: estimates the queue the limit causes from how much slower calls are than with no load,
// queue = limit * (1 - rttNoLoad / rtt), and steers it between alpha and beta. Netflix's
// VegasLimit, with its defaults: initial 20, max 1000, smoothing 1, alpha 3 * log10(limit), beta
// 6 * log10(limit), threshold log10(limit), +/- log10(limit) steps, a probe (rttNoLoad reset)
// about every 30 * limit samples. Fixes for its pitfalls:
// - it took rttNoLoad from one sample, so one lucky fast call made every later call look queued:
//   here it is the lowest *window average* (SampleWindow, DEFAULT_WINDOW calls);
// - a drop with a fast RTT (a call that failed at once) lowered rttNoLoad and returned before the
//   drop was counted: here a drop always shrinks the limit, and dropped calls are not timed;
// - a call slower than `timeout` counts as a drop, as in AIMD;
// - no growth while inflight < limit / 2 (kept from Netflix: the caller is not using the limit).
import { clamp, DEFAULT_WINDOW, SampleWindow, type LimitAlgorithm } from './algorithm';

export interface VegasOptions {
  initial: number;
  min: number;
  max: number;
  /** 0..1: how much of each new estimate replaces the old. */
  smoothing: number;
  /** Calls per window. */
  windowSize: number;
  /** Windows between probes, times the limit (with jitter in [0.5, 1)). */
  probeMultiplier: number;
  timeout: number;
  /** Jitter source for probes; default Math.random. */
  random: () => number;
}

export const VEGAS_DEFAULTS: VegasOptions = {
  initial: 20,
  min: 1,
  max: 1000,
  smoothing: 1,
  windowSize: DEFAULT_WINDOW,
  probeMultiplier: 30,
  timeout: 5_000,
  random: Math.random,
};

/** Netflix's Log10RootIntFunction: max(1, floor(log10(n))). */
export function log10Root(n: number): number {
  return Math.max(1, Math.floor(Math.log10(Math.max(1, n))));
}

export class VegasLimit implements LimitAlgorithm {
  limit: number;
  private estimate: number;
  private noLoad = 0;
  private probeCount = 0;
  private probeJitter: number;
  private readonly window: SampleWindow;

  constructor(private readonly o: VegasOptions) {
    this.estimate = clamp(o.initial, o.min, o.max);
    this.limit = Math.floor(this.estimate);
    this.window = new SampleWindow(o.windowSize);
    this.probeJitter = this.jitter();
  }

  private jitter(): number {
    return 0.5 + this.o.random() * 0.5;
  }

  update(rtt: number, inflight: number, dropped: boolean): void {
    const late = rtt > this.o.timeout;
    if (!this.window.add(rtt, inflight, dropped || late)) return;
    const w = this.window.take();
    if (w.dropped) return this.set(this.estimate - log10Root(this.estimate));
    this.probeCount++;
    if (this.probeJitter * this.o.probeMultiplier * this.estimate <= this.probeCount) {
      // A probe: forget the no-load RTT, in case the downstream got faster or its baseline moved.
      this.probeJitter = this.jitter();
      this.probeCount = 0;
      this.noLoad = w.rtt;
      return;
    }
    if (this.noLoad === 0 || w.rtt < this.noLoad) {
      this.noLoad = w.rtt;
      return;
    }
    if (w.inflight * 2 < this.estimate) return;
    const limit = Math.floor(this.estimate);
    const queue = Math.ceil(this.estimate * (1 - this.noLoad / w.rtt));
    const log = log10Root(limit);
    const alpha = 3 * log;
    const beta = 6 * log;
    if (queue <= log) this.set(this.estimate + beta);
    else if (queue < alpha) this.set(this.estimate + log);
    else if (queue > beta) this.set(this.estimate - log);
  }

  private set(next: number): void {
    const target = clamp(next, this.o.min, this.o.max);
    this.estimate = (1 - this.o.smoothing) * this.estimate + this.o.smoothing * target;
    this.limit = Math.floor(this.estimate);
  }
}
