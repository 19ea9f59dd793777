import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryError, RetryMetrics, retry, type RetryContext } from '../ts';

const SLACK = 150; // scheduling slack on a loaded 2-core machine
const fixed = (interval: number) => ({ kind: 'fixed' as const, interval });
const failing = (message: string, times: number, value = 'ok') => {
  const calls: { attempt: number; signal: AbortSignal | undefined }[] = [];
  const fn = (ctx: { attempt: number; signal: AbortSignal | undefined }) => {
    calls.push(ctx);
    if (calls.length <= times) throw new Error(message);
    return value;
  };
  return { fn, calls };
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('retry: outcomes and callbacks', () => {
  it('resolves on the first success and calls fn once with attempt 0', async () => {
    const { fn, calls } = failing('x', 0);
    await expect(retry(fn)).resolves.toBe('ok');
    expect(calls).toEqual([{ attempt: 0, signal: undefined }]);
  });

  it('accepts async and sync functions alike', async () => {
    await expect(retry(async () => 5)).resolves.toBe(5);
    await expect(retry(() => 6)).resolves.toBe(6);
  });

  it('retries a retriable error and reports each retry exactly', async () => {
    const { fn, calls } = failing('connection refused', 2);
    const seen: RetryContext[] = [];
    const result = await retry(fn, { strategy: { kind: 'linear', initial: 10, increment: 5, max: 100 }, onRetry: (c) => void seen.push(c) });
    expect(result).toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([0, 1, 2]);
    expect(seen.map(({ attempt, delay, category, retriesLeft }) => ({ attempt, delay, category, retriesLeft }))).toEqual([
      { attempt: 0, delay: 10, category: 'Network', retriesLeft: 9 },
      { attempt: 1, delay: 15, category: 'Network', retriesLeft: 8 },
    ]);
    expect(seen.every((c) => c.error instanceof Error && c.error.message === 'connection refused')).toBe(true);
    expect(seen[1]!.elapsed).toBeGreaterThanOrEqual(10);
  });

  it('gives up after `retries` retries with a RetryError carrying the last error', async () => {
    let n = 0;
    const err = await retry(
      () => {
        throw new Error(`broker down ${n++}`);
      },
      { retries: 3, strategy: fixed(1) },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect(err).toMatchObject({ name: 'RetryError', attempts: 4, category: 'Network', timedOut: false, retriable: false });
    expect((err.cause as Error).message).toBe('broker down 3');
    expect(err.message).toMatch(/4 attempts \(Network\): broker down 3/);
  });

  it('makes exactly one attempt with retries: 0', async () => {
    const { fn, calls } = failing('network', 5);
    await expect(retry(fn, { retries: 0 })).rejects.toMatchObject({ attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  it('fails fast on a non-retriable category', async () => {
    const { fn, calls } = failing('SASL authentication failed', 5);
    const t0 = performance.now();
    await expect(retry(fn, { strategy: fixed(1000) })).rejects.toMatchObject({ attempts: 1, category: 'Authentication' });
    expect(calls).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(SLACK);
  });

  it("honours an error's own retriable flag over its category", async () => {
    const stop = Object.assign(new Error('network'), { retriable: false });
    await expect(retry(() => Promise.reject(stop), { strategy: fixed(1) })).rejects.toMatchObject({ attempts: 1 });
    let n = 0;
    const go = Object.assign(new Error('auth'), { retriable: true });
    await expect(retry(() => (n++ < 2 ? Promise.reject(go) : 'ok'), { strategy: fixed(1) })).resolves.toBe('ok');
    const fatal = Object.assign(new Error('network'), { isFatal: true });
    await expect(retry(() => Promise.reject(fatal), { strategy: fixed(1) })).rejects.toMatchObject({ attempts: 1 });
  });

  it('asks shouldRetry (awaited) with the error and context', async () => {
    const calls: [unknown, RetryContext][] = [];
    const e = new Error('something odd');
    await expect(
      retry(() => Promise.reject(e), {
        strategy: fixed(1),
        shouldRetry: async (error, ctx) => {
          calls.push([error, ctx]);
          return ctx.attempt < 2;
        },
      }),
    ).rejects.toMatchObject({ attempts: 3, category: 'Unknown' });
    expect(calls.map(([err, c]) => [err, c.attempt, c.delay])).toEqual([
      [e, 0, 1],
      [e, 1, 1],
      [e, 2, 1],
    ]);
  });

  it('rejects with what onRetry throws', async () => {
    const boom = new Error('hook failed');
    await expect(
      retry(() => Promise.reject(new Error('network')), {
        strategy: fixed(1),
        onRetry: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });

  it('uses a custom strategy function and checks what it returns', async () => {
    const delays: number[] = [];
    const { fn } = failing('network', 3);
    await retry(fn, { strategy: (a) => a * 3 + 1, onRetry: (c) => void delays.push(c.delay) });
    expect(delays).toEqual([1, 4, 7]);
    await expect(retry(() => Promise.reject(new Error('network')), { strategy: () => -1 })).rejects.toThrow(RangeError);
  });

  it('sees a strategy object changed in place between calls (and validates it again)', async () => {
    const strategy = { kind: 'fixed' as const, interval: 5 };
    const delays: number[] = [];
    await retry(failing('network', 1).fn, { strategy, onRetry: (c) => void delays.push(c.delay) });
    strategy.interval = 9;
    await retry(failing('network', 1).fn, { strategy, onRetry: (c) => void delays.push(c.delay) });
    expect(delays).toEqual([5, 9]);
    strategy.interval = -1;
    await expect(retry(() => 1, { strategy })).rejects.toThrow(/strategy.interval/);
  });

  it('applies jitter with the given random source', async () => {
    const delays: number[] = [];
    const { fn } = failing('network', 3);
    await retry(fn, {
      strategy: { kind: 'exponential', initial: 8, max: 1000, multiplier: 2 },
      jitter: 'full',
      random: () => 0.5,
      onRetry: (c) => void delays.push(c.delay),
    });
    expect(delays).toEqual([4, 8, 16]);
    const eq: number[] = [];
    await retry(failing('network', 2).fn, { strategy: fixed(8), jitter: 'equal', random: () => 0.25, onRetry: (c) => void eq.push(c.delay) });
    expect(eq).toEqual([5, 5]);
  });

  it('takes its default strategy from VELOSTREAM_RETRY_* env', async () => {
    vi.stubEnv('VELOSTREAM_RETRY_STRATEGY', 'FIXED');
    vi.stubEnv('VELOSTREAM_RETRY_INTERVAL_SECS', '0.02');
    const delays: number[] = [];
    await retry(failing('network', 1).fn, { onRetry: (c) => void delays.push(c.delay) });
    expect(delays).toEqual([20]);
    vi.stubEnv('VELOSTREAM_RETRY_MULTIPLIER', 'lots');
    vi.stubEnv('VELOSTREAM_RETRY_STRATEGY', 'exponential');
    await expect(retry(failing('network', 1).fn)).rejects.toThrow(/VELOSTREAM_RETRY_MULTIPLIER.*"lots"/);
  });
});

describe('retry: signal and timeout', () => {
  it('rejects at once with the signal reason when aborted mid-wait', async () => {
    const ac = new AbortController();
    const { fn, calls } = failing('network', 10);
    const t0 = performance.now();
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    await expect(retry(fn, { strategy: fixed(10_000), signal: ac.signal })).rejects.toThrow('stop now');
    expect(performance.now() - t0).toBeLessThan(50 + SLACK);
    expect(calls).toHaveLength(1);
  });

  it("rejects at once when aborted mid-attempt, and aborts the attempt's signal", async () => {
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    setTimeout(() => ac.abort(), 30);
    const t0 = performance.now();
    const err = (await retry(({ signal }) => ((seen = signal), new Promise(() => {})), { signal: ac.signal }).catch((e: unknown) => e)) as Error;
    expect(err).toBe(ac.signal.reason);
    expect(err.name).toBe('AbortError');
    expect(performance.now() - t0).toBeLessThan(30 + SLACK);
    expect(seen?.aborted).toBe(true);
  });

  it('does not call fn when the signal is already aborted', async () => {
    const fn = vi.fn();
    await expect(retry(fn, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow('early');
    expect(fn).not.toHaveBeenCalled();
  });

  it('cuts the last wait to the deadline and never overshoots it', async () => {
    const { fn, calls } = failing('network', 100);
    const t0 = performance.now();
    const err = await retry(fn, { strategy: fixed(100), timeout: 350, retries: Infinity }).catch((e) => e);
    const elapsed = performance.now() - t0;
    expect(err).toMatchObject({ name: 'RetryError', timedOut: true, category: 'Network' });
    expect(elapsed).toBeGreaterThanOrEqual(349);
    expect(elapsed).toBeLessThan(350 + SLACK);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(4);
    expect(err.elapsedMs).toBeGreaterThanOrEqual(349);
  });

  it('waits no longer than the time left when one delay exceeds it', async () => {
    const t0 = performance.now();
    const err = await retry(() => Promise.reject(new Error('unknown topic')), { strategy: fixed(5_000), timeout: '200ms' }).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(200 + SLACK);
    expect(err).toMatchObject({ timedOut: true, attempts: 1, category: 'TopicMissing' });
  });

  it('abandons an attempt still running at the deadline', async () => {
    let seen: AbortSignal | undefined;
    const t0 = performance.now();
    const err = await retry(({ signal }) => ((seen = signal), new Promise(() => {})), { timeout: 100 }).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(100 + SLACK);
    expect(err).toMatchObject({ timedOut: true, category: 'Timeout', attempts: 1 });
    expect(seen?.aborted).toBe(true);
  });
});

describe('retry: metrics', () => {
  const implementations = process.env.VELO_RETRY_FORCE_JS === '1' ? (['js'] as const) : (['native', 'js'] as const);
  it.each(implementations)('records successes, retries and failures (%s)', async (implementation) => {
    const metrics = new RetryMetrics({ implementation });
    await retry(() => 1, { metrics });
    await retry(failing('network', 2).fn, { metrics, strategy: fixed(1) });
    await retry(() => Promise.reject(new Error('auth')), { metrics }).catch(() => {});
    await retry(() => Promise.reject(new Error('timed out')), { metrics, strategy: fixed(50), timeout: 20 }).catch(() => {});
    const s = metrics.snapshot();
    expect(s).toMatchObject({ attempts: 1 + 3 + 1 + 1, successes: 2, failures: 2, timeouts: 1, retries: 2 });
    expect(s.errors).toMatchObject({ Network: 2, Authentication: 1, Timeout: 1 });
    expect(s.latency.count).toBe(4);
    expect(s.latency.max).toBeGreaterThanOrEqual(19);
  });
});

describe('retry: timers', () => {
  it('with unref, a pending wait does not keep the process alive', () => {
    const script = `
      const { retry } = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
      retry(() => { throw new Error('network'); }, { strategy: { kind: 'fixed', interval: 60000 }, unref: true });
      retry(() => new Promise(() => {}), { timeout: 60000, unref: true }).catch(() => {});
    `;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, VELO_RETRY_FORCE_JS: '1' } });
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('ends its waits under fake timers that leave performance.now alone', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { fn, calls } = failing('network', 2);
      const p = retry(fn, { strategy: fixed(60_000) });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(60_000);
      await expect(p).resolves.toBe('ok');
      expect(calls).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('schedules with the global setTimeout, so fake timers drive it, and chains waits past 2^31-1 ms', async () => {
    vi.useFakeTimers();
    try {
      const { fn, calls } = failing('network', 1);
      const p = retry(fn, { strategy: fixed(2 ** 31 + 5_000) });
      await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(calls).toHaveLength(1); // a single setTimeout would have fired at once
      await vi.advanceTimersByTimeAsync(5_001);
      await expect(p).resolves.toBe('ok');
      expect(calls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
