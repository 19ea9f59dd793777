import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../ts/pool';
import { bothTwins } from '../support/twins';
import { native } from '../../ts/native/load';

describe.each(bothTwins<'js' | 'native'>('js', native && 'native'))('buffer pool conformance: %s twin', (_n, implementation) => {
  it('hands out, takes back and counts', () => {
    const pool = new BufferPool({ capacity: 2, bufferSize: 16, implementation });
    expect(pool.implementation).toBe(implementation);
    const a = pool.get();
    const b = pool.get();
    const c = pool.get(); // empty: a fresh buffer (a miss)
    expect([a.length, b.length, c.length]).toEqual([16, 16, 16]);
    a.fill(1);
    expect(b.every((x) => x !== 1) || b.buffer !== a.buffer).toBe(true); // distinct memory
    expect(pool.release(a)).toBe(true);
    expect(pool.release(b)).toBe(true);
    expect(pool.release(c)).toBe(false); // full: dropped
    expect(pool.release(Buffer.alloc(8))).toBe(false); // not ours
    expect(pool.release(Buffer.alloc(16))).toBe(false); // right size, not ours
    expect(pool.stats()).toEqual({ hits: 2, misses: 1, returns: 2, drops: 3, available: 2, capacity: 2, bufferSize: 16 });
  });

  it('recycles the same memory', () => {
    const pool = new BufferPool({ capacity: 1, bufferSize: 8, implementation });
    const a = pool.get();
    a.write('velo');
    pool.release(a);
    const b = pool.get();
    expect(b).toBe(a);
    expect(b.toString('utf8', 0, 4)).toBe('velo');
  });

  it('refuses a double release, which would hand one buffer to two users', () => {
    const pool = new BufferPool({ capacity: 4, bufferSize: 8, implementation });
    const a = pool.get();
    pool.release(a);
    expect(() => pool.release(a)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_RELEASED_TWICE' }));
    const other = new BufferPool({ capacity: 1, bufferSize: 8, implementation });
    expect(other.release(pool.get())).toBe(false); // another pool's buffer
  });
});
