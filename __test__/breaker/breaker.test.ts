// CircuitBreaker on a clock of the test's own: opening on the failure rate over the window,
// one probe at a time when half-open, closing on a probe's success, reopening on its failure.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../ts';
import { checkCircuitBreakerOptions } from '../../ts/breaker';

afterEach(() => vi.useRealTimers());

describe('CircuitBreaker', () => {
  it('opens at the failure rate once minimumCalls are in the window, probes after openFor, closes on success', async () => {
    vi.useFakeTimers();
    const now = 0; // the window never rolls here: only the open timer moves things on
    const states: string[] = [];
    const b = new CircuitBreaker(
      { failureRate: 0.5, minimumCalls: 4, window: 1_000, openFor: 200 },
      (s) => states.push(s),
      () => now,
    );
    b.record(true);
    b.record(true);
    b.record(true); // 3 of 3 failed, but fewer than minimumCalls
    expect(b.state).toBe('closed');
    b.record(false); // 3 of 4 failed: 75 % >= 50 %
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(true); // the probe
    expect(b.allow()).toBe(false); // one at a time
    b.record(true); // the probe failed
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(200);
    expect(b.allow()).toBe(true);
    const closing = b.changed();
    b.record(false);
    await closing;
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(b.transitions).toEqual({ closed: 1, open: 2, 'half-open': 2 });
    // The window started anew: one failure does not reopen it.
    b.record(true);
    expect(b.state).toBe('closed');
    b.dispose();
  });

  it('forgets calls older than the window', () => {
    let now = 0;
    const b = new CircuitBreaker({ failureRate: 0.5, minimumCalls: 4, window: 1_000 }, undefined, () => now);
    for (let i = 0; i < 3; i++) b.record(true);
    now = 1_500; // those three are out of the window now
    b.record(true);
    b.record(false);
    b.record(false);
    expect(b.state).toBe('closed'); // 1 of 3 in the window
    b.dispose();
  });

  it.each([
    [{ failureRate: 2 }, RangeError, /options.failureRate must be a number >= 0 and <= 1, got 2/],
    [{ failureRate: 0 }, RangeError, /options.failureRate must be a share of failed calls in \(0, 1\]/],
    [{ failureRate: '50%' }, TypeError, /options.failureRate must be a number/],
    [{ failureRate: 0.5, minimumCalls: 0 }, RangeError, /options.minimumCalls/],
    [{ failureRate: 0.5, window: 'soon' }, RangeError, /options.window/],
    [{ failureRate: 0.5, openFor: 0 }, RangeError, /options.openFor must be at least 1 ms/],
  ])('refuses %j', (options, kind, message) => {
    expect(() => checkCircuitBreakerOptions(options)).toThrow(kind);
    expect(() => checkCircuitBreakerOptions(options)).toThrow(message);
  });
});
