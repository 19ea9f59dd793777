// The Rust twin behind the same interface (crates/core/src/backoff.rs via crates/napi).
import { native } from '../native/load';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;
import type { BackoffTwin } from './twin';

export const nativeBackoff: BackoffTwin | null = binding && {
  delay: (s, attempt) => binding.calculateDelay(s.kind, s.a, s.b, s.c, attempt),
  delayGeneral: (s, attempt) => binding.calculateDelayGeneral(s.kind, s.a, s.b, s.c, attempt),
  jitter: (mode, d, random, previous, s) => binding.jitteredDelay(mode, d, random, previous, s.kind, s.a, s.b, s.c),
};
