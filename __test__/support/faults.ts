// Helpers for the fault tests: sends paced so a fault lands mid-run, the topic read back by a plain
// node-rdkafka consumer (never the code under test), and the tally of what was stored.
import { expect } from 'vitest';
import { ENVELOPE_HEADER, decodeEnvelope } from '../../ts/envelope';
import { endOffsets, withClient } from './kafka';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A test message: its sequence number as the value, `k-<seq % 200>` as the key. */
export const sequenced = (topic: string, seq: number) => ({ topic, key: `k-${seq % 200}`, value: String(seq) });

export interface PacedRun {
  acknowledged: Set<number>;
  /** Sequence numbers whose send settled (acknowledged or rejected). */
  settled: number;
  /** Sent and not yet acknowledged when the fault began. */
  inFlightAtFault: number;
  /** What the fault resolved with (how long it lasted, ms). */
  faultMs: number;
  /** The longest time without an acknowledgement. */
  stallMs: number;
}

/**
 * Sends 0..n-1 in chunks of 1,000 every 20 ms (~50k/s) with `send(seqs, acked)`, which resolves
 * once the chunk settled and calls `acked` with what was acknowledged. Once `at` of them are
 * acknowledged, starts `fault()` right after issuing the next chunk, so that the fault always
 * finds that chunk sent and unacknowledged (when it was started from an acknowledgement, a
 * producer keeping up with the pace could have nothing in flight then: sendMany acknowledges a
 * chunk at once). Sends go on meanwhile. Resolves when every send settled and the fault is over.
 */
export async function pacedRun(
  n: number,
  send: (seqs: number[], acked: (seqs: number[]) => void) => Promise<unknown>,
  fault: () => Promise<number>,
  at = 0.3,
): Promise<PacedRun> {
  const r: PacedRun = { acknowledged: new Set(), settled: 0, inFlightAtFault: -1, faultMs: 0, stallMs: 0 };
  let last = performance.now();
  let issued = 0;
  let faulted: Promise<number> | undefined;
  const acked = (seqs: number[]) => {
    const now = performance.now();
    r.stallMs = Math.max(r.stallMs, now - last);
    last = now;
    for (const seq of seqs) r.acknowledged.add(seq);
    if (faulted === undefined && issued === n) startFault(); // `at` was not reached while issuing: from an acknowledgement, then
  };
  const startFault = () => {
    if (r.acknowledged.size < n * at) return;
    r.inFlightAtFault = issued - r.acknowledged.size;
    faulted = fault();
  };
  const chunks: Promise<unknown>[] = [];
  for (let from = 0; from < n; from += 1_000) {
    const seqs = Array.from({ length: Math.min(1_000, n - from) }, (_, i) => from + i);
    issued += seqs.length;
    chunks.push(send(seqs, acked).finally(() => (r.settled += seqs.length)));
    if (faulted === undefined) startFault();
    await sleep(20);
  }
  await Promise.all(chunks);
  expect(faulted).toBeDefined();
  r.faultMs = await faulted!;
  return r;
}

/**
 * Every record of `topic`, per partition in offset order: the sequence numbers in their values.
 * `envelopes`: a record with the envelope header is read as its logical messages (decodeEnvelope:
 * the format's TS and Rust twins agree by the conformance suite); one whose key is not the
 * `sequenced` key of its value reads as NaN, a stranger.
 */
export async function readAll(on: Record<string, unknown>, topic: string, partitions: number, envelopes = false): Promise<number[][]> {
  // Right after a leader change the new leader may refuse for a moment ("Leader high watermark is
  // not caught up"): asked again until it answers.
  let ends: number[] | undefined;
  for (let deadline = Date.now() + 30_000; ends === undefined;) {
    try {
      ends = await endOffsets(topic, partitions, on);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(500);
    }
  }
  return withClient(
    `reader-${topic}`,
    async (c) => {
      c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
      const out: number[][] = ends!.map(() => []);
      const total = ends!.reduce((a, b) => a + b, 0);
      let read = 0;
      const deadline = Date.now() + 60_000;
      while (read < total && Date.now() < deadline) {
        const batch = await new Promise<{ partition: number; value?: Buffer | null; headers?: Record<string, Buffer | string>[] }[]>((resolve, reject) =>
          c.consume(1_000, (e, m) => (e ? reject(e) : resolve(m))),
        );
        for (const m of batch) {
          if (!envelopes || !m.headers?.some((h) => ENVELOPE_HEADER in h)) {
            out[m.partition]!.push(Number(m.value!.toString()));
            continue;
          }
          for (const l of decodeEnvelope(m.value!).messages) {
            const seq = Number(l.value!.toString());
            out[m.partition]!.push(l.key?.toString() === sequenced(topic, seq).key ? seq : NaN);
          }
        }
        read += batch.length;
      }
      expect(read).toBe(total);
      return out;
    },
    on,
  );
}

export interface Tally {
  stored: number;
  /** Acknowledged and not stored. */
  lost: number;
  /** Sequence numbers stored more than once. */
  duplicated: number;
  /** Places where a partition's sequence numbers go down (send order broken). */
  reordered: number;
  /** Stored and never sent (outside 0..n-1). */
  strangers: number;
}

export function tally(perPartition: number[][], acknowledged: ReadonlySet<number>, n: number): Tally {
  const count = new Map<number, number>();
  let reordered = 0;
  for (const seqs of perPartition) {
    for (let i = 0; i < seqs.length; i++) {
      count.set(seqs[i]!, (count.get(seqs[i]!) ?? 0) + 1);
      if (i > 0 && seqs[i]! < seqs[i - 1]!) reordered++;
    }
  }
  let lost = 0;
  for (const seq of acknowledged) if (!count.has(seq)) lost++;
  return {
    stored: [...count.values()].reduce((a, b) => a + b, 0),
    lost,
    duplicated: [...count.values()].filter((c) => c > 1).length,
    reordered,
    strangers: [...count.keys()].filter((seq) => !(Number.isInteger(seq) && seq >= 0 && seq < n)).length,
  };
}
