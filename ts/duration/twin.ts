/** What both duration twins offer; `parse` returns milliseconds or a negative error code. */
export interface DurationTwin {
  parse(text: string): number;
  cacheStats(): CacheStats;
  resetCache(capacity: number): void;
  isCached(text: string): boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
  capacity: number;
}

export const DurationErrorCode = { Empty: -1, Invalid: -2, OutOfRange: -3 } as const;
