// One message inside the consumer, from fetch to done: the record as the handler sees it, where it
// came from (partition and the assignment epoch it was fetched under), its place in its ordering
// lane, and the context the handler receives (attempt, and a signal aborted when its partition is
// revoked past the drain timeout or the consumer closes past its timeout).
import type { DriverMessage } from '../driver';
import { Incoming } from './message';
import type { Tracked } from './offsets';
import type { Partition } from './partition';

/** The second argument of a handler. */
export interface HandlerContext {
  /** 0 for the first attempt. */
  readonly attempt: number;
  /** Aborted when the consumer stops waiting for this message (a revoke past drainTimeout, close past its timeout). */
  readonly signal: AbortSignal;
}

/** A queue of messages that must run one at a time, in order: a key's, or a partition's. */
export interface Lane {
  /** A message of this lane is ready or in flight. */
  active: boolean;
  readonly waiting: Work[];
  head: number;
  /** A key lane's key (latin1 text of its bytes), by which its partition finds it. */
  readonly id?: string;
}

export class Work implements Tracked, HandlerContext {
  readonly message: Incoming;
  readonly offset: number;
  done = false;
  /** A handler started on it (attempts then count from 1). */
  started = false;
  attempt = 0;
  /** message.data holds the codec's output (options.serializer). */
  decoded = false;
  /** When it was fetched (epoch ms). */
  readonly fetchedAt = Date.now();
  private controller: AbortController | undefined;

  constructor(
    m: DriverMessage,
    readonly partition: Partition,
    /** The partition's epoch when fetched: a result for an older epoch is not this assignment's. */
    readonly epoch: number,
    /** undefined: no ordering constraint (unordered, or a null key). */
    readonly lane: Lane | undefined,
  ) {
    this.message = new Incoming(m);
    this.offset = m.offset;
  }

  /** Created on first read: most handlers never look. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** The partition is still ours, under the same assignment. */
  get current(): boolean {
    return this.partition.owned && this.partition.epoch === this.epoch;
  }

  abort(reason: Error): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}
