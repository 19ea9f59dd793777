// Which fetched message may start next, by ordering mode. A lane is a line of messages that must run
// one at a time in offset order: in 'key' mode one per key within a partition, in 'partition' mode
// the partition itself; 'unordered' messages (and null keys in 'key' mode) have none. A message
// whose lane is idle goes straight to the ready queue; otherwise it waits in its lane and moves to
// the ready queue when the one before it finishes. The ready queue is FIFO, so within the limit
// messages start in the order they were fetched, whatever their lane.
import type { DriverMessage } from '../driver';
import type { Ordering } from './options';
import type { Partition } from './partition';
import { Work, type Lane } from './work';

export class Dispatcher {
  private ready: Work[] = [];
  private head = 0;

  constructor(readonly ordering: Ordering) {}

  /** A fetched message, into its lane or the ready queue. */
  enqueue(m: DriverMessage, p: Partition): Work {
    const lane = this.laneOf(m, p);
    const w = new Work(m, p, p.epoch, lane);
    if (lane === undefined || !lane.active) {
      if (lane !== undefined) lane.active = true;
      this.ready.push(w);
    } else {
      lane.waiting.push(w);
    }
    return w;
  }

  private laneOf(m: DriverMessage, p: Partition): Lane | undefined {
    if (this.ordering === 'unordered') return undefined;
    if (this.ordering === 'partition') return p.lane;
    const k = m.key;
    if (k === null || k === undefined) return undefined; // a null key is a key of its own
    const id = typeof k === 'string' ? k : k.toString('latin1');
    let lane = p.lanes.get(id);
    if (lane === undefined) {
      lane = { active: false, waiting: [], head: 0, id };
      p.lanes.set(id, lane);
    }
    return lane;
  }

  /** The next message to start, or undefined; messages of partitions no longer held under their epoch are passed over. */
  next(): Work | undefined {
    while (this.head < this.ready.length) {
      const w = this.ready[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.ready.length) {
        this.ready = this.ready.slice(this.head);
        this.head = 0;
      }
      if (w.current && !w.partition.revoking) return w;
    }
    if (this.head > 0) {
      this.ready = [];
      this.head = 0;
    }
    return undefined;
  }

  /** Puts back a message next() gave out that could not start (no room): it goes first. */
  unshift(w: Work): void {
    if (this.head > 0) this.ready[--this.head] = w;
    else this.ready.unshift(w);
  }

  /** Messages in the ready queue (stale ones included until passed over). */
  get readyCount(): number {
    return this.ready.length - this.head;
  }

  /** `w` finished: the next message of its lane becomes ready. */
  finished(w: Work): void {
    const lane = w.lane;
    if (lane === undefined) return;
    if (lane.head < lane.waiting.length) {
      this.ready.push(lane.waiting[lane.head++]!);
      if (lane.head === lane.waiting.length) {
        lane.waiting.length = 0;
        lane.head = 0;
      }
      return;
    }
    lane.active = false;
    // An idle key lane is forgotten, so a consumer of many keys does not keep one entry per key ever seen.
    if (lane.id !== undefined) w.partition.lanes.delete(lane.id);
  }

  /** Forgets everything (a revoke of all, or close). */
  clear(): void {
    this.ready = [];
    this.head = 0;
  }
}
