// Safe commits under out-of-order completion. Per partition, the messages fetched and not yet done
// wait here in offset order (librdkafka delivers a partition in order); the commit point is the
// offset of the first one not done, or the offset after the last one when all are done: the
// contiguous low-water mark. Committing it never passes unfinished work, so a crash redelivers at
// most what was fetched and not finished, and never skips a message.

/** What the tracker needs of a message. */
export interface Tracked {
  readonly offset: number;
  done: boolean;
}

export class PartitionOffsets<T extends Tracked = Tracked> {
  private items: T[] = [];
  private head = 0;
  /** The offset after the last message tracked; undefined before the first. */
  private next: number | undefined;

  /** A message fetched from this partition, in the order fetched. */
  track(item: T): void {
    this.items.push(item);
    this.next = item.offset + 1;
  }

  /** The offset to commit: nothing before it is unfinished. undefined until a message was fetched. */
  mark(): number | undefined {
    const items = this.items;
    let h = this.head;
    while (h < items.length && items[h]!.done) h++;
    if (h !== this.head) {
      // Drop the finished prefix once it is most of the array: amortized O(1) per message.
      if (h * 2 > items.length) {
        this.items = items.slice(h);
        this.head = 0;
      } else {
        this.head = h;
      }
    }
    return this.head < this.items.length ? this.items[this.head]!.offset : this.next;
  }

  /** The oldest message not done, if any (for stall signals). */
  oldest(): T | undefined {
    this.mark();
    return this.items[this.head];
  }

  /** Messages tracked and not yet behind the mark. */
  get pending(): number {
    this.mark();
    return this.items.length - this.head;
  }
}
