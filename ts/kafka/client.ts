// What producer, consumer and admin share: options, the retry policy they resolve, and connecting
// with a fresh client per attempt (node-rdkafka does not retry connect(), and a client reused
// after a failed connect duplicates delivery reports).
import { compileStrategy, durationField, type Duration, type RetryStrategy } from '../backoff';
import { categorizeError, isRetriable } from '../classify';
import type { RetryMetrics } from '../metrics';
import { RetryPolicy, type Properties } from '../policy';
import { retry, type RetryOptions } from '../retry';
import { checkObject } from '../validate';
import { call, type Client, type Metadata } from './driver';

/** Options every Kafka entry point takes. */
export interface KafkaOptions {
  /** Retry options for connecting and for each operation; strategy defaults come from `properties` / env. */
  retry?: Omit<RetryOptions, 'metrics' | 'signal'>;
  /** Velostream properties (topic.wait.timeout, topic.retry.*). */
  properties?: Properties;
  metrics?: RetryMetrics;
  /** The driver module; default: node-rdkafka, else @confluentinc/kafka-javascript. */
  driver?: unknown;
  /** Per-attempt connect timeout; default 10s. */
  connectTimeout?: number | string;
  /** Environment to read VELOSTREAM_* from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedKafkaOptions {
  /** For connecting and admin calls: retry until the total timeout (default 60 s). */
  connect: RetryOptions;
  /**
   * For each message sent or handled: 5 retries by default and no total timeout, so the engine's
   * success path stays timer-free (librdkafka's message.timeout.ms already bounds a delivery).
   */
  perMessage: RetryOptions;
  waitTimeout: number;
  connectTimeout: number;
}

/** Explicit option > property > env > default, and every value validated. */
export function resolveKafkaOptions(options: KafkaOptions, what: string): ResolvedKafkaOptions {
  checkObject(`${what} options`, options);
  const env = options.env ?? process.env;
  const policy = options.properties === undefined ? RetryPolicy.defaults(env) : RetryPolicy.fromProperties(options.properties, env);
  const r = options.retry ?? {};
  checkObject('options.retry', r);
  const strategy: RetryStrategy = r.strategy ?? policy.strategy;
  compileStrategy(strategy, 'options.retry.strategy');
  const connectTimeout = durationField('options.connectTimeout', options.connectTimeout as Duration | undefined, 10_000);
  const base = { ...r, strategy, metrics: options.metrics };
  return {
    connect: { retries: Infinity, timeout: 60_000, ...base },
    perMessage: { retries: 5, ...base },
    waitTimeout: policy.waitTimeout,
    connectTimeout,
  };
}

export { checkConfig, splitConfig } from './config';

/** Disconnects and resolves when the driver says it is done. A producer flushes first, for `flushTimeout` ms (node-rdkafka: 5 s). */
export function disconnect(client: Client, flushTimeout?: number): Promise<void> {
  return new Promise<void>((resolve) => (flushTimeout === undefined ? client.disconnect(() => resolve()) : client.disconnect(flushTimeout, () => resolve())));
}

/** Best-effort disconnect of a client that failed or is being replaced. */
export function discard(client: Client): void {
  try {
    client.disconnect(() => {});
  } catch {
    // already gone
  }
}

/** A librdkafka log line, as node-rdkafka's 'event.log' gives it (with event_cb: true). */
interface LogLine {
  severity: number;
  fac: string;
  message: string;
}

/**
 * Connects `make()`'s client, retried by the policy with a fresh client per attempt.
 *
 * node-rdkafka dispatches error callbacks only when the client polls, which it does not do before
 * connect() completes: a connect that cannot succeed (a SASL handshake refused, a refused
 * connection) just times out as "broker transport failure". librdkafka logs the reason at error
 * severity within milliseconds, though, so this listens to the log: a non-retriable diagnosis
 * (authentication, configuration) ends the attempt at once, and a retriable one becomes the
 * reported cause. `connected` gets the metadata it connected with.
 */
export async function connectFresh<C extends Client>(make: () => C, resolved: ResolvedKafkaOptions, connected?: (md: Metadata) => void): Promise<C> {
  return retry(async () => {
    const client = make();
    let reason: Error | undefined;
    let fail!: (e: Error) => void;
    const fatal = new Promise<never>((_, reject) => (fail = reject));
    fatal.catch(() => {}); // settled through the race below, or never
    const onLog = (log: LogLine) => {
      if (log.severity > 3) return;
      const message = log.message.replace(/^\[thrd:[^\]]*\]: /, '');
      const e = Object.assign(new Error(message), { code: -1, origin: 'librdkafka log' });
      if (isRetriable(categorizeError(e))) reason ??= e;
      else fail(e);
    };
    client.on('event.log', onLog as never);
    try {
      const md = await Promise.race([call<Metadata>((cb) => client.connect({ timeout: resolved.connectTimeout }, cb)), fatal]);
      connected?.(md);
      return client;
    } catch (e) {
      discard(client);
      throw reason && !(e instanceof Error && e.message === reason.message) ? Object.assign(reason, { connectError: e }) : e;
    } finally {
      client.removeListener('event.log', onLog as never);
    }
  }, resolved.connect);
}
