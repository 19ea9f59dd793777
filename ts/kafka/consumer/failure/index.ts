// Where a message goes when its in-place retries are spent, and what it carries there.
//
// Retry topics (Spring Kafka's RetryableTopic layout): one topic per delay, `<topic>-retry-<ms>`,
// so due times only grow along each partition and pausing at the first record not yet due blocks
// nothing that is due. A message whose retries ran out with a retriable error goes to the next
// delay's topic; after the last, or with an error that cannot clear, to the dead-letter topic.
// Records go to the same partition number they came from, so a key stays on one partition number
// across the topics (the retry and dead-letter topics need at least as many partitions; created
// here, they get the source topic's count).
//
// Parked keys ('key' ordering): while a key has a message in the retry path, its later messages
// follow it there instead of being handled ahead of it, and a retry record of the key is handled
// only when it is the key's oldest in the path; the rest are forwarded behind it. The key clears
// when that line is empty. The line lives in this consumer's memory: it holds while this process
// keeps the key's partitions (a restart or a rebalance that moves them forgets it, and a new owner
// may handle a later message of the key before an older one still in the retry path).
import type { OutgoingMessage } from '../../message';
import type { Work } from '../work';
import { FAILURE_HEADERS, H, HeaderCodec, readNumber, readText, type RecordHeaders } from './headers';

/** Why a message of a parked key went to the retry path without being handled: the error its record carries. */
export class ParkedError extends Error {
  override readonly name = 'ParkedError';
  constructor() {
    super('velo-retry/kafka: an earlier message of this key is in the retry path; this one follows it there, in order');
  }
}

export interface Origin {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export type Route = { kind: 'retry'; topic: string; stage: number } | { kind: 'dead-letter'; topic: string };

/** A retry topic's place: the source topic it retries, and which delay (0-based). */
interface Stage {
  source: string;
  index: number;
}

export class FailurePaths {
  private readonly stages = new Map<string, Stage>();
  /** Parked keys: the line of source offsets in the retry path per key, and the stage its oldest is at. */
  private readonly parked = new Map<string, { line: number[]; stage: number }>();
  readonly codec: HeaderCodec;

  constructor(
    readonly sources: readonly string[],
    readonly delays: readonly number[],
    private readonly deadLetterTopicOf: ((source: string) => string) | undefined,
    private readonly group: string,
    binaryHeaders: boolean,
  ) {
    this.codec = new HeaderCodec(binaryHeaders);
    for (const source of sources) delays.forEach((_, index) => this.stages.set(this.retryTopic(source, index), { source, index }));
  }

  retryTopic(source: string, index: number): string {
    return `${source}-retry-${this.delays[index]}`;
  }

  /** Every retry topic, for the subscription. */
  get retryTopics(): string[] {
    return [...this.stages.keys()];
  }

  deadLetterTopic(source: string): string | undefined {
    return this.deadLetterTopicOf?.(source);
  }

  get enabled(): boolean {
    return this.delays.length > 0 || this.deadLetterTopicOf !== undefined;
  }

  /** The retry stage a topic is, or undefined for a source topic. */
  stageOf(topic: string): Stage | undefined {
    return this.stages.get(topic);
  }

  /** The source topic of a message's topic (itself for a source topic). */
  sourceOf(topic: string): string {
    return this.stages.get(topic)?.source ?? topic;
  }

  /**
   * Where a message whose in-place retries ran out goes: the next retry topic when the error can
   * clear and one is left, else the dead-letter topic; undefined when neither is configured.
   */
  route(topic: string, retriable: boolean): Route | undefined {
    const stage = this.stages.get(topic);
    const source = stage?.source ?? topic;
    const next = stage === undefined ? 0 : stage.index + 1;
    if (retriable && next < this.delays.length) return { kind: 'retry', topic: this.retryTopic(source, next), stage: next };
    const dlt = this.deadLetterTopicOf?.(source);
    return dlt === undefined ? undefined : { kind: 'dead-letter', topic: dlt };
  }

  /**
   * How long until a retry record is due (ms, <= 0: due now), or undefined for a source record or
   * one without a readable due time. A record was produced before it was read, so its topic's delay
   * from now is never early: a due time beyond that (clock skew between hosts, or a corrupt header)
   * is held to it, and reported as `clamped`.
   */
  dueIn(topic: string, headers: RecordHeaders, now: number): { wait: number; clamped: boolean } | undefined {
    const stage = this.stages.get(topic);
    if (stage === undefined) return undefined;
    const due = readNumber(headers, H.dueAt, 'bigInteger');
    if (due === undefined) return undefined;
    const delay = this.delays[stage.index]!;
    const wait = due - now;
    return wait > delay ? { wait: delay, clamped: true } : { wait, clamped: false };
  }

  /** Where a message first came from: itself, or what its failure headers say (when they are readable). */
  origin(w: Work): Origin {
    const m = w.message;
    if (this.stages.has(m.topic)) {
      const h = m.headers;
      const topic = readText(h, H.topic);
      const partition = readNumber(h, H.partition, 'int32');
      const offset = readNumber(h, H.offset, 'int64');
      if (topic !== undefined && partition !== undefined && offset !== undefined) {
        return { topic, partition, offset, timestamp: readNumber(h, H.timestamp, 'int64') ?? m.timestamp ?? 0 };
      }
    }
    return { topic: this.sourceOf(m.topic), partition: m.partition, offset: m.offset, timestamp: m.timestamp ?? 0 };
  }

  /** Handler attempts made before this record (by the stages it went through), from its header. */
  priorAttempts(w: Work): number {
    if (!this.stages.has(w.message.topic)) return 0;
    const text = readText(w.message.headers, H.attempts);
    return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : 0;
  }

  /** A retry record's or dead letter's headers: the user's, the origin, the last error, the attempts. */
  private headersFor(w: Work, origin: Origin, error: unknown, category: string, attempts: number): [string, Buffer | string][] {
    const c = this.codec;
    const out: [string, Buffer | string][] = [];
    for (const [k, v] of Object.entries(w.message.headers)) if (!FAILURE_HEADERS.has(k)) out.push([k, v]);
    const e = error instanceof Error ? error : new Error(String(error));
    const cause = e.cause instanceof Error ? e.cause : undefined;
    out.push(
      [H.topic, origin.topic],
      [H.partition, c.int32(origin.partition)],
      [H.offset, c.int64(origin.offset)],
      [H.timestamp, c.int64(origin.timestamp)],
      [H.timestampType, 'CreateTime'],
      [H.group, this.group],
      [H.exceptionFqcn, e.constructor?.name || e.name || 'Error'],
      [H.exceptionMessage, e.message],
      [H.exceptionStacktrace, e.stack ?? `${e.name}: ${e.message}`],
      [H.category, category],
      [H.attempts, String(attempts)],
    );
    if (cause) out.push([H.exceptionCauseFqcn, cause.constructor?.name || cause.name]);
    if (!c.binary) out.push([H.encoding, 'text']);
    return out;
  }

  /** The record that carries `w` to retry topic `stage`, due `delay` from now. */
  retryRecord(w: Work, route: Extract<Route, { kind: 'retry' }>, error: unknown, category: string, attempts: number): OutgoingMessage {
    const origin = this.origin(w);
    const headers = this.headersFor(w, origin, error, category, attempts);
    headers.push(
      [H.dueAt, this.codec.bigInteger(Date.now() + this.delays[route.stage]!)],
      [H.retryAttempts, this.codec.int32(route.stage + 2)], // Spring counts the delivery attempt this will be, the first being 1
      [H.retryOriginalTimestamp, this.codec.int64(origin.timestamp)],
    );
    return { topic: route.topic, partition: origin.partition, key: w.message.key, value: w.message.value, headers };
  }

  deadLetterRecord(w: Work, topic: string, error: unknown, category: string, attempts: number): OutgoingMessage {
    const origin = this.origin(w);
    return { topic, partition: origin.partition, key: w.message.key, value: w.message.value, headers: this.headersFor(w, origin, error, category, attempts) };
  }

  // ---------------------------------------------------------------- parked keys

  private parkedKey(origin: Origin, key: Buffer): string {
    return `${origin.topic}\u0000${origin.partition}\u0000${key.toString('latin1')}`;
  }

  /** How many keys are parked now. */
  get parkedKeys(): number {
    return this.parked.size;
  }

  /**
   * For a message of a parked key that is not the oldest in the key's line: the retry topic to
   * forward it to, behind the oldest (which stage that one is at). undefined: handle it.
   */
  follow(w: Work): Extract<Route, { kind: 'retry' }> | undefined {
    const key = w.message.key;
    if (key === null) return undefined;
    const origin = this.origin(w);
    const entry = this.parked.get(this.parkedKey(origin, key));
    if (entry === undefined || entry.line[0] === origin.offset) return undefined;
    const source = origin.topic;
    return { kind: 'retry', topic: this.retryTopic(source, entry.stage), stage: entry.stage };
  }

  /** `w` went into the retry path at `stage`: its key is parked behind (or as) the oldest of its line. */
  park(w: Work, stage: number): void {
    const key = w.message.key;
    if (key === null) return;
    const origin = this.origin(w);
    const id = this.parkedKey(origin, key);
    let entry = this.parked.get(id);
    if (entry === undefined) this.parked.set(id, (entry = { line: [], stage }));
    if (!entry.line.includes(origin.offset)) entry.line.push(origin.offset);
    if (entry.line[0] === origin.offset) entry.stage = stage;
  }

  /** `w` left the retry path (handled, or dead-lettered): the next of its key's line, if any, is the oldest now. */
  unpark(w: Work): void {
    const key = w.message.key;
    if (key === null) return;
    const origin = this.origin(w);
    const id = this.parkedKey(origin, key);
    const entry = this.parked.get(id);
    if (entry === undefined) return;
    const i = entry.line.indexOf(origin.offset);
    if (i >= 0) entry.line.splice(i, 1);
    if (entry.line.length === 0) this.parked.delete(id);
  }
}
