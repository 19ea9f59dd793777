// PerformanceCollector (ts/metrics/collector.ts) and the prom-client bridge (ts/metrics/exposition.ts),
// with a real prom-client Registry. The Kafka side (what producer and consumer record) is in
// __test__/kafka/collector.test.ts.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PerformanceCollector, RetryMetrics } from '../../ts';

const sampleLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('_per_second')) // rates move between two reads
    .sort();

describe('PerformanceCollector', () => {
  it('counts, times and rates each role on its own', () => {
    const c = new PerformanceCollector({ window: '1s' });
    const producer = c._role('producer');
    for (let i = 0; i < 90; i++) producer.ok(5, 1_024);
    for (let i = 0; i < 10; i++) producer.error();
    c._role('consumer').ok(40, 10);
    const s = c.snapshot();
    expect(s.producer).toMatchObject({ messages: 90, errors: 10, bytes: 90 * 1_024 });
    expect(s.producer.errorRate).toBeCloseTo(0.1, 10);
    expect(s.producer.latency.count).toBe(90);
    expect(s.producer.latency.p50).toBeGreaterThanOrEqual(5);
    expect(s.producer.latency.p50).toBeLessThanOrEqual(5 * 1.125); // a bucket is 12.5 % wide
    expect(s.producer.rate).toBeGreaterThan(0);
    expect(s.producer.bytesRate).toBeCloseTo(s.producer.rate * 1_024, 6);
    expect(s.consumer).toMatchObject({ messages: 1, errors: 0, bytes: 10, errorRate: 0 });
    c.reset();
    expect(c.snapshot().producer).toMatchObject({ messages: 0, errors: 0, bytes: 0, rate: 0 });
  });

  it('Prometheus text: every family labelled by role', () => {
    const c = new PerformanceCollector({ prefix: 'app_kafka' });
    c._role('producer').ok(2, 100);
    const text = c.toPrometheus();
    expect(text).toContain('# TYPE app_kafka_messages_total counter\n');
    expect(text).toContain('app_kafka_messages_total{role="producer"} 1\n');
    expect(text).toContain('app_kafka_messages_total{role="consumer"} 0\n');
    expect(text).toContain('app_kafka_bytes_total{role="producer"} 100\n');
    expect(text).toContain('app_kafka_latency_seconds_count{role="producer"} 1\n');
    expect(text).toMatch(/app_kafka_latency_seconds\{quantile="0.99",role="producer"\} 0.002/);
  });

  it.each([
    [{ prefix: '9x' }, RangeError, /options.prefix must be a Prometheus metric name/],
    [{ prefix: 7 }, TypeError, /options.prefix must be a string/],
    [{ window: 'soon' }, RangeError, /options.window/],
    [{ window: 5 }, RangeError, /options.window must be at least 10 ms, got 5/],
  ])('refuses %j', (options, kind, message) => {
    expect(() => new PerformanceCollector(options as never)).toThrow(kind);
    expect(() => new PerformanceCollector(options as never)).toThrow(message);
  });
});

describe('registerWith(prom-client registry)', () => {
  it('the collector: the registry scrapes the same samples as toPrometheus, live, until unregistered', async () => {
    const registry = new Registry();
    const c = new PerformanceCollector();
    const unregister = c.registerWith(registry);
    c._role('consumer').ok(3, 50);
    expect(sampleLines(await registry.metrics())).toEqual(sampleLines(c.toPrometheus()));
    c._role('consumer').ok(3, 50);
    expect(await registry.metrics()).toContain('velo_perf_messages_total{role="consumer"} 2');
    unregister();
    expect(await registry.metrics()).not.toContain('velo_perf');
  });

  it('RetryMetrics: the same samples as toPrometheus, series registered later included from the next scrape', async () => {
    const registry = new Registry();
    const m = new RetryMetrics({ implementation: 'js' });
    m.recordSuccess(2, 12);
    m.recordFailure('Network', 3, 40);
    m.registerWith(registry);
    m._counter('consumer_dead_lettered', 'Dead letters.', { consumer: 'c1' }).add(4);
    await registry.metrics(); // the scrape that notices the new series
    expect(sampleLines(await registry.metrics())).toEqual(sampleLines(m.toPrometheus()));
    expect(await registry.metrics()).toContain('velo_retry_consumer_dead_lettered_total{consumer="c1"} 4');
  });

  it('refuses what is not a registry, and a name the registry already holds', () => {
    expect(() => new PerformanceCollector().registerWith({})).toThrow(TypeError);
    expect(() => new PerformanceCollector().registerWith({})).toThrow(/PerformanceCollector.registerWith\(registry\) must be a prom-client Registry/);
    const registry = new Registry();
    new PerformanceCollector().registerWith(registry);
    expect(() => new PerformanceCollector().registerWith(registry)).toThrow(/the registry already has a metric named velo_perf_messages_total/);
  });
});
