// RetryPolicy: Velostream-compatible configuration. Each setting is taken from the first source
// that has it: a property (topic.retry.*), then an env var (VELOSTREAM_RETRY_*), then the product
// default; an explicit option passed to a function beats all three. Upstream silently fell back to
// the default on an unparsable value; here that is an error naming the variable or property.
import { DEFAULTS, type RetryStrategy } from './backoff';
import { durationError } from './duration';
import { jsDuration } from './duration/js';
import { rangeError, typeError } from './validate';

export type Properties = Readonly<Record<string, string | number | undefined>> | ReadonlyMap<string, string | number>;

export interface ResolvedPolicy {
  strategy: RetryStrategy;
  /** topic.wait.timeout in ms; 0 = do not wait for missing topics. */
  waitTimeout: number;
}

export interface TopicDefaults {
  /** VELOSTREAM_DEFAULT_PARTITIONS, or -1 for the broker's num.partitions. */
  partitions: number;
  /** VELOSTREAM_DEFAULT_REPLICATION_FACTOR, or -1 for the broker's default.replication.factor. */
  replicationFactor: number;
}

type Source = { kind: 'property' | 'env'; name: string; value: string };

function lookup(props: Properties | undefined, key: string): Source | undefined {
  if (props === undefined) return undefined;
  const v = props instanceof Map ? props.get(key) : (props as Record<string, string | number | undefined>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw typeError(`property ${key}`, 'a string or number', v);
  return { kind: 'property', name: key, value: String(v) };
}

function envVar(env: NodeJS.ProcessEnv, name: string): Source | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : { kind: 'env', name, value: v };
}

const label = (s: Source) => (s.kind === 'env' ? `env ${s.name}` : `property ${s.name}`);

/** A duration from a property (duration text), or from an env var named *_SECS (seconds). */
function durationOf(s: Source): number {
  const text = s.kind === 'env' ? s.value.trim() : s.value;
  if (s.kind === 'env' && !/^\d+(\.\d+)?$/.test(text)) throw rangeError(label(s), 'a number of seconds >= 0', s.value, 'ERR_INVALID_ENV');
  const ms = jsDuration.parse(s.kind === 'env' ? `${text}s` : text);
  if (ms < 0) throw durationError(s.value, ms, label(s));
  return ms;
}

function numberOf(s: Source, min: number): number {
  const text = s.value.trim();
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n >= min) || !Number.isFinite(n))
    throw rangeError(label(s), `a number >= ${min}`, s.value, s.kind === 'env' ? 'ERR_INVALID_ENV' : 'ERR_INVALID_PROPERTY');
  return n;
}

function integerOf(s: Source, min: number): number {
  const n = numberOf(s, min);
  if (!Number.isInteger(n) || n > 2 ** 31 - 1) throw rangeError(label(s), `an integer >= ${min}`, s.value, 'ERR_INVALID_ENV');
  return n;
}

function strategyKind(s: Source | undefined): 'fixed' | 'exponential' | 'linear' {
  if (s === undefined) return 'exponential';
  const k = s.value.trim().toLowerCase();
  if (k === 'fixed' || k === 'linear' || k === 'exponential') return k;
  if (k === 'exp') return 'exponential';
  throw rangeError(label(s), 'one of "fixed", "exponential" (or "exp"), "linear"', s.value, s.kind === 'env' ? 'ERR_INVALID_ENV' : 'ERR_INVALID_PROPERTY');
}

function checkEnv(env: unknown): NodeJS.ProcessEnv {
  if (typeof env !== 'object' || env === null) throw typeError('env', 'an object of environment variables', env);
  return env as NodeJS.ProcessEnv;
}

function checkProps(props: unknown): Properties {
  if (typeof props !== 'object' || props === null || Array.isArray(props)) throw typeError('properties', 'an object or Map of properties', props);
  return props as Properties;
}

function resolve(props: Properties | undefined, env: NodeJS.ProcessEnv): ResolvedPolicy {
  const pick = (key: string, envName?: string) => lookup(props, key) ?? (envName ? envVar(env, envName) : undefined);
  const kind = strategyKind(pick('topic.retry.strategy', 'VELOSTREAM_RETRY_STRATEGY'));
  const intervalSrc = pick('topic.retry.interval', 'VELOSTREAM_RETRY_INTERVAL_SECS');
  const initial = intervalSrc ? durationOf(intervalSrc) : DEFAULTS.initial;
  const maxSrc = pick('topic.retry.max.delay', 'VELOSTREAM_RETRY_MAX_DELAY_SECS');
  const max = maxSrc ? durationOf(maxSrc) : Math.max(DEFAULTS.max, initial);
  if (max < initial) throw rangeError(label(maxSrc!), `a delay >= the interval (${initial} ms)`, maxSrc!.value);
  const multSrc = pick('topic.retry.multiplier', 'VELOSTREAM_RETRY_MULTIPLIER');
  const multiplier = multSrc ? numberOf(multSrc, 1) : DEFAULTS.multiplier;
  const incSrc = pick('topic.retry.increment');
  const increment = incSrc ? durationOf(incSrc) : initial;
  const waitSrc = pick('topic.wait.timeout');
  const waitTimeout = waitSrc ? durationOf(waitSrc) : 0;

  const strategy: RetryStrategy =
    kind === 'fixed' ? { kind, interval: initial } : kind === 'linear' ? { kind, initial, increment, max } : { kind, initial, max, multiplier };
  return { strategy, waitTimeout };
}

export const RetryPolicy = {
  /** Strategy and topic wait timeout from Velostream properties, then env, then defaults. */
  fromProperties(properties: Properties, env: NodeJS.ProcessEnv = process.env): ResolvedPolicy {
    return resolve(checkProps(properties), checkEnv(env));
  },

  /** Env, then the product defaults (exponential, 2s initial, x1.5, max 120s; no topic wait). */
  defaults(env: NodeJS.ProcessEnv = process.env): ResolvedPolicy {
    return resolve(undefined, checkEnv(env));
  },

  /** Partitions and replication factor for topics velo-retry creates; -1 = the broker's default. */
  topicDefaults(env: NodeJS.ProcessEnv = process.env): TopicDefaults {
    checkEnv(env);
    const p = envVar(env, 'VELOSTREAM_DEFAULT_PARTITIONS');
    const r = envVar(env, 'VELOSTREAM_DEFAULT_REPLICATION_FACTOR');
    return { partitions: p ? integerOf(p, 1) : -1, replicationFactor: r ? integerOf(r, 1) : -1 };
  },
};
