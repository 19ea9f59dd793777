/** Strategy kinds as the native binding numbers them. */
export const StrategyKind = { Fixed: 0, Exponential: 1, Linear: 2 } as const;
export const JitterKind = { none: 0, full: 1, equal: 2, decorrelated: 3 } as const;

/**
 * A validated strategy in the flat form both twins take: fixed(a = interval),
 * exponential(a = initial, b = max, c = multiplier), linear(a = initial, b = increment, c = max).
 */
export interface FlatStrategy {
  kind: 0 | 1 | 2;
  a: number;
  b: number;
  c: number;
}

export interface BackoffTwin {
  delay(s: FlatStrategy, attempt: number): number;
  delayGeneral(s: FlatStrategy, attempt: number): number;
  jitter(mode: number, delay: number, random: number, previous: number, s: FlatStrategy): number;
}
