// The Rust twin behind the same interface (crates/core/src/duration.rs via crates/napi).
import { native } from '../native/load';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;
import type { DurationTwin } from './twin';

export const nativeDuration: DurationTwin | null = binding && {
  parse: binding.parseDuration,
  cacheStats() {
    const [hits, misses, size, capacity] = binding.durationCacheStats() as [number, number, number, number];
    return { hits, misses, size, capacity };
  },
  resetCache: binding.durationCacheReset,
  isCached: binding.durationIsCached,
};
