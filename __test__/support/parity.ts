// Runs one scenario through an original library and through velo-retry's compat layer under the
// same conditions (a seeded Math.random, and one of two kinds of timers) and records what an
// observer sees: calls, callbacks and their arguments, every wait handed to setTimeout, and the
// outcome. The timers:
// - 'fake': vitest's fake timers, run to the end;
// - 'stubbed': a setTimeout that fires at once (on the next turn of the event loop, whatever the
//   delay), as tests that speed retries up stub it. A library that re-arms a timer that woke early
//   shows here as extra calls.
import { describe, expect, it, vi } from 'vitest';

export type Trace = unknown[];
export type TimerMode = 'fake' | 'stubbed';

/** Waits that velo-retry chains past 2^31 - 1 are recorded as the whole wait. */
export async function trace(run: (log: (...event: unknown[]) => void) => Promise<unknown>, randoms: number[] = [], mode: TimerMode = 'fake'): Promise<Trace> {
  const events: Trace = [];
  const log = (...e: unknown[]) => void events.push(e);
  if (mode === 'fake') vi.useFakeTimers();
  const realRandom = Math.random;
  let r = 0;
  Math.random = () => (r < randoms.length ? randoms[r++]! : 0.5);
  const underlying = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    // Only waits of 1 ms or more (and NaN, which setTimeout reads as 1 ms): libraries' own
    // zero-delay ticks are not part of the contract. As setTimeout does, read the delay as a
    // number (node-retry's `forever` passes [delay]).
    const wait = Number(ms ?? 0);
    if (wait >= 1 || Number.isNaN(wait)) log('wait', wait);
    return underlying(fn, mode === 'stubbed' ? 0 : ms, ...args);
  }) as typeof setTimeout;
  try {
    const outcome = run(log).then(
      (value) => ['resolved', value],
      (error) => ['rejected', describeError(error)],
    );
    if (mode === 'fake') {
      await vi.runAllTimersAsync();
      for (let i = 0; i < 20; i++) await vi.runAllTimersAsync(); // timers scheduled from microtasks
    }
    events.push(await outcome);
    return events;
  } finally {
    globalThis.setTimeout = underlying;
    Math.random = realRandom;
    if (mode === 'fake') vi.useRealTimers();
  }
}

export function describeError(e: unknown): unknown {
  if (!(e instanceof Error)) return { thrown: e };
  return { name: e.name, message: e.message, type: e.constructor.name === 'AbortError' ? 'AbortError' : e instanceof TypeError ? 'TypeError' : 'Error' };
}

/** A function failing with the given errors in turn, then resolving with `value`. */
export function failing(log: (...e: unknown[]) => void, errors: unknown[], value: unknown = 'done') {
  let i = 0;
  return (...args: unknown[]) => {
    log('call', ...args.filter((a) => typeof a !== 'function'));
    if (i < errors.length) {
      const e = errors[i++];
      return Promise.reject(typeof e === 'function' ? e() : e);
    }
    return Promise.resolve(value);
  };
}

/**
 * One parity suite: each scenario through the original (first) and ours, under fake and under
 * stubbed timers; the traces must be equal.
 */
export function paritySuite<I>(
  title: string,
  impls: [string, I][],
  scenarios: [string, (impl: I, log: (...e: unknown[]) => void) => Promise<unknown>, number[]?][],
): void {
  describe.each(['fake', 'stubbed'] as const)(`${title} (%s timers)`, (mode) => {
    it.each(scenarios)('%s', async (_name, scenario, randoms) => {
      const traces: Trace[] = [];
      for (const [, impl] of impls) traces.push(await trace((log) => scenario(impl, log), randoms, mode));
      expect(traces[1]).toEqual(traces[0]);
    });
  });
}
