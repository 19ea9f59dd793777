// Waiting for topics before subscribing: a consumer subscribed to a topic that does not exist
// does not fail (librdkafka waits quietly), so metadata is checked with the retry policy until every
// topic exists or topic.wait.timeout passes.
import { RetryError } from '../../errors';
import { RetryPolicy } from '../../policy';
import { retry, type RetryContext } from '../../retry';
import type { ResolvedKafkaOptions } from '../client';
import { call, type ConsumerClient, type Metadata } from '../driver';

export interface TopicWait {
  /** The check that found topics missing (0-based). */
  attempt: number;
  /** ms until the next check. */
  delay: number;
  /** ms since the wait began. */
  elapsed: number;
  missing: string[];
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

export async function waitForTopics(
  client: ConsumerClient,
  topics: string[],
  waitTimeout: number,
  resolved: ResolvedKafkaOptions,
  options: { onTopicWait?: (wait: TopicWait) => void; env?: NodeJS.ProcessEnv },
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
