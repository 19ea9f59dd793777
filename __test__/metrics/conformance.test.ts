import { describe, expect, it } from 'vitest';
import { JsMetrics } from '../../ts/metrics/js';
import { NativeRingMetrics } from '../../ts/metrics/native';
import type { MetricsTwin } from '../../ts/metrics/twin';
import { native } from '../../ts/native/load';
import { bothTwins } from '../support/twins';

const make = bothTwins<() => MetricsTwin>(() => new JsMetrics(), native && (() => new NativeRingMetrics()));

function feed(m: MetricsTwin): void {
  m.retry(2);
  m.retry(2);
  m.success(3, 10);
  m.success(1, 20);
  m.failure(5, 4, 40, true);
}

describe.each(make)('metrics conformance: %s twin', (_n, create) => {
  it('reports the counters, rates and latency figures', () => {
    const m = create();
    feed(m);
    const s = m.snapshot();
    expect(s).toMatchObject({ attempts: 8, successes: 2, failures: 1, timeouts: 1, retries: 2, successRate: 25, timeoutRate: 12.5, meanAttemptsPerSuccess: 4 });
    expect(s.errors.Network).toBe(2);
    expect(s.errors.Timeout).toBe(1);
    expect(s.latency.count).toBe(3);
    expect(s.latency.mean).toBeCloseTo(70 / 3, 9);
    expect(s.latency.max).toBe(40);
    expect(s.latency.p50).toBeGreaterThanOrEqual(20);
    expect(s.latency.p50).toBeLessThanOrEqual(20 * 1.125);
    expect(s.latency.p99).toBe(40);
    m.reset();
    expect(m.snapshot()).toMatchObject({
      attempts: 0,
      successRate: 0,
      timeoutRate: 0,
      meanAttemptsPerSuccess: 0,
      latency: { count: 0, mean: 0, p50: 0, max: 0 },
    });
  });

  it('prints Prometheus text', () => {
    const m = create();
    feed(m);
    const text = m.prometheus('velo_retry');
    expect(text).toContain('# TYPE velo_retry_attempts_total counter\nvelo_retry_attempts_total 8\n');
    expect(text).toContain('velo_retry_errors_total{category="Network"} 2\n');
    expect(text).toContain('velo_retry_latency_seconds{quantile="0.99"} 0.04\n');
    expect(text).toContain('velo_retry_latency_seconds_count 3\n');
    expect(text).toContain('velo_retry_success_rate_percent 25\n');
  });

  it('loses nothing when events outrun the ring (more than its 2^14 slots between drains)', () => {
    const m = create();
    for (let i = 0; i < 100_000; i++) m.success(1, i % 1000);
    const s = m.snapshot();
    expect(s.successes).toBe(100_000);
    expect(s.latency.count).toBe(100_000);
    expect(s.latency.max).toBe(999);
  });

  it('takes events beyond a ring slot (attempts >= 2^13, latency >= 2^32 us) through the slow path', () => {
    const m = create();
    m.success(2 ** 13 - 1, 1);
    m.success(2 ** 13, 1);
    m.failure(3, 2 ** 30, 1, false);
    m.success(1, 2 ** 32 / 1000 + 1); // 71.6 minutes
    m.failure(8, 1, 10 * 24 * 3600 * 1000, true); // ten days
    const s = m.snapshot();
    expect(s.attempts).toBe(2 ** 13 - 1 + 2 ** 13 + 2 ** 30 + 1 + 1);
    expect(s.latency.max).toBe(10 * 24 * 3600 * 1000);
    expect(s.errors.InvalidRequest).toBe(1);
    expect(s.timeouts).toBe(1);
  });

  it('keeps every field of an event through the ring', () => {
    const m = create();
    for (let c = 0; c < 9; c++) m.failure(c, 8191, 4294967.295, c % 2 === 1);
    const s = m.snapshot();
    expect(Object.values(s.errors)).toEqual(Array(9).fill(1));
    expect(s).toMatchObject({ failures: 9, timeouts: 4, attempts: 9 * 8191 });
    expect(s.latency.max).toBe(4294967.295);
  });
});

describe('metrics twins agree', () => {
  it.skipIf(make.length < 2)('give identical snapshots and exposition text for the same events', () => {
    const [[, a], [, b]] = make as [(typeof make)[0], (typeof make)[0]];
    const x = a();
    const y = b();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const r = rnd();
      const latency = rnd() ** 4 * 600_000; // 0 .. 10 minutes, mostly small
      for (const m of [x, y]) {
        if (r < 0.5) m.success(1 + (i % 5), latency);
        else if (r < 0.8) m.retry(i % 9);
        else m.failure(i % 9, 1 + (i % 7), latency, i % 2 === 0);
      }
    }
    expect(y.snapshot()).toEqual(x.snapshot());
    expect(y.prometheus('velo_retry')).toBe(x.prometheus('velo_retry'));
  });
});
