// AIMD: additive increase, multiplicative decrease, driven by loss (failures and timeouts), not by
// latency. Netflix's AIMDLimit, with its defaults: initial 20, min 20, max 200, backoff 0.9,
// timeout 5 s. Its growth rule already holds back while the caller does not use the limit (grow
// only when inflight >= limit / 2), and a drop or a call slower than the timeout shrinks it.
import { clamp, type LimitAlgorithm } from './algorithm';

export interface AimdOptions {
  initial: number;
  min: number;
  max: number;
  /** Factor applied on a drop, in [0.5, 1). */
  backoff: number;
  /** A call slower than this (ms) counts as a drop. */
  timeout: number;
}

export const AIMD_DEFAULTS: AimdOptions = { initial: 20, min: 20, max: 200, backoff: 0.9, timeout: 5_000 };

export class AimdLimit implements LimitAlgorithm {
  limit: number;

  constructor(private readonly o: AimdOptions) {
    this.limit = clamp(o.initial, o.min, o.max);
  }

  update(rtt: number, inflight: number, dropped: boolean): void {
    let next = this.limit;
    if (dropped || rtt > this.o.timeout) next = Math.floor(next * this.o.backoff);
    else if (inflight * 2 >= next) next = next + 1;
    this.limit = clamp(next, this.o.min, this.o.max);
  }
}
