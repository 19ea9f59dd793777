// PerformanceCollector: what a Kafka pipeline's throughput looks like, per role. Pass one as
// `collector` to createProducer (latency: send -> delivery report) and createConsumer (latency:
// the record's timestamp -> handled, so it includes the time the record waited in Kafka). Each
// role has a latency histogram, message / error / byte counters, and a rate and error rate over a
// sliding window. Read it as a snapshot, as Prometheus text, or through prom-client's registry.
import { durationField, type Duration } from '../backoff';
import { checkObject, rangeError, typeError } from '../validate';
import { registerFamilies, renderText, type Family, type Sample } from './exposition';
import { LatencyHistogram } from './histogram';
import type { LatencySummary } from './twin';
import { SlidingWindow } from '../window';

export type Role = 'producer' | 'consumer';
const ROLES: readonly Role[] = ['producer', 'consumer'];

export interface PerformanceCollectorOptions {
  /** Metric name prefix; default "velo_perf". */
  prefix?: string;
  /** The window the rates are over (ms or "30s"); default 10 s. */
  window?: Duration;
}

export interface RoleSnapshot {
  /** Messages that succeeded (delivered / handled). */
  messages: number;
  /** Messages that failed (a send rejected / a handler's final failure). */
  errors: number;
  /** Value bytes of the messages that succeeded. */
  bytes: number;
  /** Latency of the messages that succeeded, ms. */
  latency: LatencySummary;
  /** Messages per second over the window. */
  rate: number;
  /** Value bytes per second over the window. */
  bytesRate: number;
  /** errors / (messages + errors) over the window, 0..1; 0 when nothing happened. */
  errorRate: number;
}

export interface PerformanceSnapshot {
  /** The window the rates are over, ms (less while the collector is younger than it). */
  windowMs: number;
  producer: RoleSnapshot;
  consumer: RoleSnapshot;
}

const MESSAGES = 0;
const ERRORS = 1;
const BYTES = 2;
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** @internal One role's figures: what the producer and the consumer record into. */
export class RoleStats {
  messages = 0;
  errors = 0;
  bytes = 0;
  readonly latency = new LatencyHistogram();
  readonly window: SlidingWindow;

  constructor(windowMs: number) {
    this.window = new SlidingWindow(windowMs, 3);
  }

  ok(latencyMs: number, bytes: number): void {
    this.took(latencyMs);
    this.okMany(1, bytes);
  }

  /** One message's latency, into the histogram (okMany counts it). */
  took(latencyMs: number): void {
    this.latency.add(latencyMs > 0 ? latencyMs : 0);
  }

  /** `n` messages done at once (an envelope's), `bytes` of values in all: one clock read for the window, not two per message. */
  okMany(n: number, bytes: number): void {
    this.messages += n;
    this.bytes += bytes;
    this.window.addPair(MESSAGES, n, BYTES, bytes);
  }

  error(): void {
    this.errors++;
    this.window.add(ERRORS);
  }

  reset(): void {
    this.messages = this.errors = this.bytes = 0;
    this.latency.reset();
    this.window.clear();
  }

  snapshot(): RoleSnapshot {
    const seconds = Math.max(this.window.covered(), 1) / 1000;
    const ok = this.window.sum(MESSAGES);
    const failed = this.window.sum(ERRORS);
    return {
      messages: this.messages,
      errors: this.errors,
      bytes: this.bytes,
      latency: this.latency.summary(),
      rate: ok / seconds,
      bytesRate: this.window.sum(BYTES) / seconds,
      errorRate: ok + failed === 0 ? 0 : failed / (ok + failed),
    };
  }
}

export class PerformanceCollector {
  readonly prefix: string;
  readonly windowMs: number;
  private readonly roles: Record<Role, RoleStats>;

  constructor(options: PerformanceCollectorOptions = {}) {
    checkObject('options', options);
    const prefix = options.prefix ?? 'velo_perf';
    if (typeof prefix !== 'string') throw typeError('options.prefix', 'a string', prefix);
    if (!PREFIX.test(prefix)) throw rangeError('options.prefix', 'a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
    this.windowMs = durationField('options.window', options.window, 10_000);
    if (this.windowMs < 10) throw rangeError('options.window', 'at least 10 ms', options.window);
    this.prefix = prefix;
    this.roles = { producer: new RoleStats(this.windowMs), consumer: new RoleStats(this.windowMs) };
  }

  /** @internal What a producer or consumer records into. */
  _role(role: Role): RoleStats {
    return this.roles[role];
  }

  snapshot(): PerformanceSnapshot {
    return { windowMs: this.roles.producer.window.covered(), producer: this.roles.producer.snapshot(), consumer: this.roles.consumer.snapshot() };
  }

  /** The figures as metric families, each labelled by role. */
  families(): Family[] {
    const p = this.prefix;
    const snaps = ROLES.map((role) => [role, this.roles[role].snapshot()] as const);
    const per = (name: string, type: Family['type'], help: string, value: (s: RoleSnapshot) => number): Family => ({
      name: `${p}_${name}`,
      help,
      type,
      samples: snaps.map(([role, s]) => ({ labels: { role }, value: value(s) })),
    });
    const latency = `${p}_latency_seconds`;
    return [
      per('messages_total', 'counter', 'Messages delivered (producer) or handled (consumer).', (s) => s.messages),
      per('errors_total', 'counter', 'Messages that failed: a send rejected, a handler failing for good.', (s) => s.errors),
      per('bytes_total', 'counter', 'Value bytes of the messages delivered or handled.', (s) => s.bytes),
      per('messages_per_second', 'gauge', 'Messages per second over the sliding window.', (s) => s.rate),
      per('bytes_per_second', 'gauge', 'Value bytes per second over the sliding window.', (s) => s.bytesRate),
      per('error_ratio', 'gauge', 'Failed share of the messages in the sliding window, 0..1.', (s) => s.errorRate),
      {
        name: latency,
        help: 'Message latency: producer send to delivery report; consumer record timestamp to handled.',
        type: 'summary',
        samples: snaps.flatMap(([role, s]): Sample[] => [
          { labels: { role, quantile: '0.5' }, value: s.latency.p50 / 1000 },
          { labels: { role, quantile: '0.9' }, value: s.latency.p90 / 1000 },
          { labels: { role, quantile: '0.99' }, value: s.latency.p99 / 1000 },
          { name: `${latency}_sum`, labels: { role }, value: (s.latency.mean * s.latency.count) / 1000 },
          { name: `${latency}_count`, labels: { role }, value: s.latency.count },
        ]),
      },
    ];
  }

  /** Prometheus text exposition format 0.0.4. */
  toPrometheus(): string {
    return renderText(this.families());
  }

  /**
   * Registers these figures on a prom-client Registry (`require('prom-client').register`, or one
   * of yours), read at each scrape; returns the function that unregisters them.
   */
  registerWith(registry: unknown): () => void {
    return registerFamilies(registry, () => this.families(), 'PerformanceCollector');
  }

  reset(): void {
    for (const role of ROLES) this.roles[role].reset();
  }
}

/** options.collector, checked. */
export function checkCollector(value: unknown): PerformanceCollector | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof PerformanceCollector)) throw typeError('options.collector', 'a PerformanceCollector', value);
  return value;
}
