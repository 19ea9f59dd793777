// The broker script's cluster ids: one in 64 random ids used to start with '-', which the storage
// tool reads as an option, failing one broker start in 64. The real formats are in the kafka project
// (__test__/kafka/storage-format.test.ts); this needs no Java.
import { describe, expect, it } from 'vitest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { clusterId } = require('../../../scripts/kafka/broker.cjs') as typeof import('../../../scripts/kafka/broker.cjs');

describe('clusterId', () => {
  it('is 22 base64url characters of 16 bytes and never starts with "-" (200,000 draws)', () => {
    let dashInside = 0;
    for (let i = 0; i < 200_000; i++) {
      const id = clusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      if (id.includes('-')) dashInside++;
    }
    // '-' is still a valid character after the first: ids keep their full alphabet.
    expect(dashInside).toBeGreaterThan(0);
  });

  it('draws again when the bytes would print with a leading "-"', () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x07)]; // 0b111110.. prints '-' first
    expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
    let n = 0;
    const id = clusterId(() => draws[n++]!);
    expect(n).toBe(2);
    expect(id).toBe(draws[1]!.toString('base64url'));
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });
});
