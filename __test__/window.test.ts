// SlidingWindow (ts/window.ts), on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../ts/window';

describe('SlidingWindow', () => {
  it('counts over the last window, bucket by bucket, and forgets what slid out', () => {
    let now = 1_000;
    const w = new SlidingWindow(1_000, 2, () => now); // 10 buckets of 100 ms
    w.add(0, 5);
    w.add(1);
    now += 450;
    w.add(0, 2);
    expect([w.sum(0), w.sum(1)]).toEqual([7, 1]);
    expect(w.covered()).toBe(450);
    now += 600; // 1,050 ms after the first adds: their bucket has slid out
    expect([w.sum(0), w.sum(1)]).toEqual([2, 0]);
    expect(w.covered()).toBe(1_000);
    now += 5_000; // far past: everything gone, counting goes on
    expect(w.sum(0)).toBe(0);
    w.add(0, 3);
    expect(w.sum(0)).toBe(3);
  });

  it('clear() starts a fresh window from now', () => {
    let now = 0;
    const w = new SlidingWindow(1_000, 1, () => now);
    w.add(0, 4);
    now = 2_500;
    w.clear();
    expect(w.covered()).toBe(0);
    now = 2_550;
    w.add(0);
    expect(w.sum(0)).toBe(1);
    expect(w.covered()).toBe(50);
  });

  it('addPair() counts two fields in the bucket of now, with one clock read', () => {
    let now = 0;
    let reads = 0;
    const w = new SlidingWindow(1_000, 3, () => (reads++, now));
    now = 250;
    reads = 0;
    w.addPair(0, 100, 2, 12_800);
    expect(reads).toBe(1);
    now = 1_150; // the bucket of 200-300 ms is still in the window
    expect([w.sum(0), w.sum(1), w.sum(2)]).toEqual([100, 0, 12_800]);
    now = 1_300; // slid out
    expect([w.sum(0), w.sum(2)]).toEqual([0, 0]);
  });
});
