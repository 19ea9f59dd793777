// Runs one scenario through an original library and through velo-retry's compat layer under the
// same conditions (fake timers, a seeded Math.random) and records what an observer sees: calls,
// callbacks and their arguments, every wait handed to setTimeout, and the outcome.
import { describe, expect, it, vi } from 'vitest';

export type Trace = unknown[];

/** Waits that velo-retry chains past 2^31 - 1 are recorded as the whole wait. */
export async function trace(run: (log: (...event: unknown[]) => void) => Promise<unknown>, randoms: number[] = []): Promise<Trace> {
  const events: Trace = [];
  const log = (...e: unknown[]) => void events.push(e);
  vi.useFakeTimers();
  const realRandom = Math.random;
  let r = 0;
  Math.random = () => (r < randoms.length ? randoms[r++]! : 0.5);
  const fakeSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    // Only waits of 1 ms or more: libraries' own zero-delay ticks are not part of the contract.
    // As setTimeout does, read the delay as a number (node-retry's `forever` passes [delay]).
    if (Number(ms ?? 0) >= 1) log('wait', Number(ms));
    return fakeSetTimeout(fn, ms, ...args);
  }) as typeof setTimeout;
  try {
    const outcome = run(log).then(
      (value) => ['resolved', value],
      (error) => ['rejected', describeError(error)],
    );
    await vi.runAllTimersAsync();
    for (let i = 0; i < 20; i++) await vi.runAllTimersAsync(); // timers scheduled from microtasks
    events.push(await outcome);
    return events;
  } finally {
    globalThis.setTimeout = fakeSetTimeout;
    Math.random = realRandom;
    vi.useRealTimers();
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

/** One parity suite: each scenario through the original (first) and ours; the traces must be equal. */
export function paritySuite<I>(title: string, impls: [string, I][], scenarios: [string, (impl: I, log: (...e: unknown[]) => void) => Promise<unknown>, number[]?][]): void {
  describe(title, () => {
    it.each(scenarios)('%s', async (_name, scenario, randoms) => {
      const traces: Trace[] = [];
      for (const [, impl] of impls) traces.push(await trace((log) => scenario(impl, log), randoms));
      expect(traces[1]).toEqual(traces[0]);
    });
  });
}
