// What health() reports, per partition: its oldest unfinished message and whether its low-water
// mark has stopped moving while work is pending (a stall: a handler stuck, or a key parked long).
export interface PartitionHealth {
  topic: string;
  partition: number;
  /** Messages fetched and not yet behind the committed-to-be mark. */
  pending: number;
  /** The oldest message not finished, if any. */
  oldest: { offset: number; key: string | null; since: number; attempts: number } | undefined;
  /** When the mark last moved (epoch ms). */
  markMovedAt: number;
  /** The mark has not moved for stallAfter while work was pending. */
  stalled: boolean;
}
