// One assigned partition, as the consumer sees it: which assignment it belongs to (the epoch, bumped
// on every assign, so late results of a lost assignment are told apart), its offsets, its ordering
// lanes, what is buffered and in flight from it, why it is paused, and what was committed.
import { PartitionOffsets } from './offsets';
import type { Lane, Work } from './work';

/** 'buffer': the consumer's buffer is full; 'window': this partition's uncommitted window is; 'breaker', 'due': the failure paths'. */
export type PauseReason = 'buffer' | 'window' | 'breaker' | 'due';

export class Partition {
  /** Still assigned to this consumer (false once revoked). */
  owned = true;
  /** A revoke is draining it: nothing new starts from it. */
  revoking = false;
  readonly offsets = new PartitionOffsets<Work>();
  /** Key lanes ('key' ordering), by the key's bytes as latin1 text. */
  readonly lanes = new Map<string, Lane>();
  /** The partition's own lane ('partition' ordering). */
  readonly lane: Lane = { active: false, waiting: [], head: 0 };
  buffered = 0;
  inflight = 0;
  /** The last offset committed, or being committed. */
  committed: number | undefined;
  /** The mark at the last stall check, when it last moved (epoch ms), and whether it is stalled now. */
  lastMark: number | undefined;
  markMovedAt = Date.now();
  stalled = false;
  /** Resumes it when its first retry record not yet due is due. */
  dueTimer: NodeJS.Timeout | undefined;
  /** That record, and when it is due by this process's clock (it may have been held to its topic's delay). */
  dueHeld: { offset: number; until: number } | undefined;
  /** Why fetching from it is paused; librdkafka's pause is on while any reason holds. */
  readonly pauses = new Set<PauseReason>();
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly epoch: number,
  ) {}

  get toppar(): { topic: string; partition: number } {
    return { topic: this.topic, partition: this.partition };
  }

  /** Resolves when nothing from this partition is in flight. */
  drained(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** A message from it finished (or was given up on). */
  settled(): void {
    this.inflight--;
    if (this.inflight === 0 && this.drainWaiters.length) for (const wake of this.drainWaiters.splice(0)) wake();
  }
}

export const partitionKey = (topic: string, partition: number): string => `${partition}\u0000${topic}`;
