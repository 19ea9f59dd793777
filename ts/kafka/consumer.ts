// createConsumer: a consumer that waits for its topics, then delivers messages as an async iterator
// or through run(handler), committing each message only after it was handled.
import { durationField } from '../backoff';
import { RetryPolicy } from '../policy';
import { RetryError, retry, type RetryContext } from '../retry';
import { checkFunction, checkNumber, typeError } from '../validate';
import { checkConfig, connectFresh, disconnect, resolveKafkaOptions, type KafkaOptions, type ResolvedKafkaOptions } from './client';
import { call, loadDriver, type ConsumerClient, type DriverMessage, type Metadata } from './driver';

export interface ConsumerOptions extends KafkaOptions {
  topics: readonly string[];
  /** How long to wait for missing topics (ms or "30s"); default topic.wait.timeout, else 0 = do not wait. */
  waitTimeout?: number | string;
  /** Called before each wait for missing topics. */
  onTopicWait?: (wait: TopicWait) => void;
  /** Messages fetched per consume call; default 100. */
  batchSize?: number;
  /** Start from the earliest offset when the group has none committed (auto.offset.reset). */
  fromBeginning?: boolean;
}

export interface TopicWait {
  /** The check that found topics missing (0-based). */
  attempt: number;
  /** ms until the next check. */
  delay: number;
  /** ms since the wait began. */
  elapsed: number;
  missing: string[];
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number | undefined;
}

export interface VeloConsumer extends AsyncIterable<IncomingMessage> {
  /** Calls `handler` for each message; a failing handler is retried by the policy; the message is committed once it succeeds. Resolves after stop(). */
  run(handler: (message: IncomingMessage) => unknown): Promise<void>;
  /** Ends run() and iteration after the message in hand. */
  stop(): void;
  close(): Promise<void>;
  /** How the wait for topics went. */
  readonly topicWait: { attempts: number; elapsedMs: number };
  readonly client: ConsumerClient;
}

/** Rejection of createConsumer when topics stay missing past the wait. */
export class TopicWaitError extends RetryError {
  override readonly name: string = 'TopicWaitError';
  readonly missingTopics: string[];

  constructor(missing: string[], source: RetryError, brokers: string, env: NodeJS.ProcessEnv) {
    super(source.cause, source.attempts, source.elapsedMs, 'TopicMissing', true);
    this.missingTopics = missing;
    const { partitions, replicationFactor } = RetryPolicy.topicDefaults(env);
    const p = partitions > 0 ? String(partitions) : '<n>';
    const r = replicationFactor > 0 ? String(replicationFactor) : '<n>';
    const from =
      partitions > 0 || replicationFactor > 0
        ? 'from VELOSTREAM_DEFAULT_PARTITIONS / VELOSTREAM_DEFAULT_REPLICATION_FACTOR'
        : 'VELOSTREAM_DEFAULT_PARTITIONS / VELOSTREAM_DEFAULT_REPLICATION_FACTOR are unset: ensureTopic() then uses the broker defaults';
    this.message =
      `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} still missing after waiting ${(source.elapsedMs / 1000).toFixed(1)} s (${source.attempts} check${source.attempts === 1 ? '' : 's'}). ` +
      `Create ${missing.length > 1 ? 'them' : 'it'} with ensureTopic() from velo-retry/kafka, or: ` +
      missing.map((t) => `kafka-topics.sh --bootstrap-server ${brokers} --create --topic ${t} --partitions ${p} --replication-factor ${r}`).join('; ') +
      ` (${from}).`;
  }
}

function toIncoming(m: DriverMessage): IncomingMessage {
  const headers: Record<string, Buffer> = {};
  for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
  return { topic: m.topic, partition: m.partition, offset: m.offset, key, value: m.value, headers, timestamp: m.timestamp };
}

export async function createConsumer(config: Record<string, unknown>, options: ConsumerOptions): Promise<VeloConsumer> {
  const base = checkConfig(config);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object with topics', options);
  const { topics } = options;
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t !== '')) {
    throw typeError('options.topics', 'a non-empty array of topic names', topics);
  }
  if (options.onTopicWait !== undefined) checkFunction('options.onTopicWait', options.onTopicWait);
  const batchSize = checkNumber('options.batchSize', options.batchSize ?? 100, 1, 100_000, true);
  const driver = loadDriver(options.driver);
  const resolved = resolveKafkaOptions(options, 'createConsumer');
  const waitTimeout = durationField('options.waitTimeout', options.waitTimeout, resolved.waitTimeout);
  if (typeof base['group.id'] !== 'string') throw typeError('config["group.id"]', 'a string (consumers belong to a group)', base['group.id']);

  const conf = { 'enable.auto.commit': false, ...base, event_cb: true };
  const client = await connectFresh(() => new driver.KafkaConsumer(conf, options.fromBeginning ? { 'auto.offset.reset': 'earliest' } : {}), resolved);
  try {
    const wait = await waitForTopics(
      client,
      [...topics],
      waitTimeout,
      resolved,
      options,
      String(base['bootstrap.servers'] ?? base['metadata.broker.list'] ?? '<brokers>'),
    );
    client.setDefaultConsumeTimeout?.(100);
    client.subscribe([...topics]);
    return new Consumer(client, resolved, batchSize, wait);
  } catch (e) {
    await disconnect(client);
    throw e;
  }
}

async function waitForTopics(
  client: ConsumerClient,
  topics: string[],
  waitTimeout: number,
  resolved: ResolvedKafkaOptions,
  options: ConsumerOptions,
  brokers: string,
): Promise<{ attempts: number; elapsedMs: number }> {
  const t0 = performance.now();
  if (waitTimeout === 0) return { attempts: 0, elapsedMs: 0 };
  let missing = topics;
  let attempts = 0;
  const notYet = (names: string[]) => Object.assign(new Error(`topic not found: ${names.join(', ')}`), { code: 3 });
  try {
    await retry(
      async () => {
        attempts++;
        // All topics, not the ones we want: a request naming a topic may auto-create it.
        const md = await call<Metadata>((cb) => client.getMetadata({ timeout: Math.min(5_000, resolved.connectTimeout) }, cb));
        const present = new Set(md.topics.filter((t) => t.partitions.length > 0).map((t) => t.name));
        missing = topics.filter((t) => !present.has(t));
        if (missing.length) throw notYet(missing);
      },
      {
        ...resolved.connect,
        timeout: waitTimeout,
        retries: Infinity,
        onRetry: (ctx: RetryContext) => options.onTopicWait?.({ attempt: ctx.attempt, delay: ctx.delay, elapsed: ctx.elapsed, missing: [...missing] }),
      },
    );
  } catch (e) {
    if (e instanceof RetryError && e.category === 'TopicMissing') throw new TopicWaitError(missing, e, brokers, options.env ?? process.env);
    throw e;
  }
  return { attempts, elapsedMs: performance.now() - t0 };
}

class Consumer implements VeloConsumer {
  private stopped = false;

  constructor(
    readonly client: ConsumerClient,
    private readonly o: ResolvedKafkaOptions,
    private readonly batchSize: number,
    readonly topicWait: { attempts: number; elapsedMs: number },
  ) {}

  private next(): Promise<DriverMessage[]> {
    return call<DriverMessage[]>((cb) => this.client.consume(this.batchSize, cb));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<IncomingMessage> {
    while (!this.stopped) {
      for (const m of await this.next()) {
        yield toIncoming(m);
        // The loop asked for the next message: the previous one was handled.
        this.client.commitMessage(m);
        if (this.stopped) return;
      }
    }
  }

  async run(handler: (message: IncomingMessage) => unknown): Promise<void> {
    checkFunction('handler', handler);
    while (!this.stopped) {
      for (const m of await this.next()) {
        const message = toIncoming(m);
        await retry(() => handler(message), this.o.perMessage);
        this.client.commitMessage(m);
        if (this.stopped) return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    this.stopped = true;
    try {
      this.client.unsubscribe();
    } catch {
      // not subscribed
    }
    await disconnect(this.client);
  }
}
