import type { LimitAlgorithm } from './algorithm';

/** A limit that does not move: `concurrency: 16`. */
export class FixedLimit implements LimitAlgorithm {
  constructor(readonly limit: number) {}

  update(): void {}
}
