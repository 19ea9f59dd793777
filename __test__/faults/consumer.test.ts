// The consumer under the faults that threaten its guarantees, on the real broker: a consumer process
// killed with SIGKILL mid-run, a second consumer joining and leaving the group mid-run (eager and
// cooperative-sticky), and close() timed in a process of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, type ConsumerOptions, type VeloConsumer } from '../../ts/kafka';
import { brokers, committedOffsets, config, endOffsets, produceKeyed, unique } from '../support/kafka';

const CHILD = join(__dirname, '..', 'support', 'consumer-child.cjs');
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (partition: number, offset: number) => `${partition}:${offset}`;

async function consumer(topic: string, groupId: string, options: Partial<ConsumerOptions> = {}, conf: Record<string, unknown> = {}): Promise<VeloConsumer> {
  const c = await createConsumer({ ...config, 'group.id': groupId, ...conf }, { topics: [topic], fromBeginning: true, waitTimeout: 10_000, ...options });
  closers.push(() => c.close(5_000));
  return c;
}

interface ChildRun {
  child: ChildProcess;
  done: string[];
  /** The values of the messages done (a retry record's is its source message's). */
  values: string[];
  commits: { partition: number; offset: number; afterDone: number }[];
  stats: { inflight: number; buffered: number };
  closed: number | undefined;
  /** performance.now() when the child said close() resolved. */
  closedAt: number | undefined;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  /** Resolves once `n` messages are done. */
  reached(n: number): Promise<void>;
}

function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: ChildRun = {
    child,
    done: [],
    values: [],
    commits: [],
    stats: { inflight: 0, buffered: 0 },
    closed: undefined,
    closedAt: undefined,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }))),
    reached: (n) =>
      new Promise((resolve, reject) => {
        const check = setInterval(() => {
          if (r.done.length >= n) {
            clearInterval(check);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(check);
            reject(new Error(`child exited early (${child.exitCode}): ${stderr}`));
          }
        }, 5);
      }),
  };
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [what, a, b] = line.split(' ');
    if (what === 'done') {
      r.done.push(id(Number(a), Number(b)));
      r.values.push(line.split(' ')[3]!);
    } else if (what === 'commit') r.commits.push({ partition: Number(a), offset: Number(b), afterDone: r.done.length });
    else if (what === 'stats') r.stats = { inflight: Number(a), buffered: Number(b) };
    else if (what === 'closed') {
      r.closed = Number(a);
      r.closedAt = performance.now();
    }
  });
  return r;
}

describe('a consumer process killed with SIGKILL mid-run', () => {
  it('loses nothing, never committed past unfinished work, and redelivers only its uncommitted window', async () => {
    const topic = unique('crash');
    const N = 20_000;
    const P = 3;
    const MAX_BUFFERED = 1000;
    await produceKeyed(topic, N, { partitions: P, keys: 200 });
    const group = unique('g');
    const killed = runChild([brokers, topic, group, '64', '2', '--commit-interval', '200', '--max-buffered', String(MAX_BUFFERED)]);
    await killed.reached(N * 0.3);
    const atKill = { ...killed.stats };
    killed.child.kill('SIGKILL');
    await killed.exited;
    const doneByKilled = new Set(killed.done);
    const committed = await committedOffsets(group, topic, P);
    const lastCommit = killed.commits.at(-1)?.afterDone ?? 0;

    // Commits never passed unfinished work: every offset below each committed mark was done.
    for (let p = 0; p < P; p++)
      for (let o = 0; o < committed[p]!; o++)
        if (!doneByKilled.has(id(p, o))) throw new Error(`committed ${committed[p]} on partition ${p} past unfinished offset ${o}`);

    // A new consumer of the group finishes the topic.
    const c = await consumer(topic, group, { concurrency: 64 });
    const handled: string[] = [];
    const all = new Set(doneByKilled);
    await c.run((m) => {
      handled.push(id(m.partition, m.offset));
      all.add(id(m.partition, m.offset));
      if (all.size === N) c.stop();
    });
    const duplicates = handled.filter((h) => doneByKilled.has(h));
    const uncommittedDone = killed.done.filter((h) => {
      const [p, o] = h.split(':').map(Number);
      return o! >= committed[p!]!;
    });
    console.log(
      `crash: killed after ${killed.done.length} of ${N} done (in flight ${atKill.inflight}, buffered ${atKill.buffered}); committed ${committed.join('/')}; ` +
        `${killed.done.length - lastCommit} done since its last commit; the new consumer handled ${handled.length}, ${duplicates.length} seen twice`,
    );
    expect(all.size).toBe(N); // nothing lost
    expect(new Set(handled).size).toBe(handled.length); // the new consumer handled each once
    // What is seen twice is exactly what the killed one finished at or above a committed mark...
    expect(duplicates.sort()).toEqual(uncommittedDone.sort());
    // ...which is bounded: the window per partition (at most maxBuffered) plus what finished since the last commit.
    expect(duplicates.length).toBeLessThanOrEqual(P * MAX_BUFFERED + (killed.done.length - lastCommit));
    expect(await committedOffsets(group, topic, P)).toEqual(await endOffsets(topic, P));
  }, 120_000);
});

describe('a group of 3 consumer processes, one killed with SIGKILL mid-run', () => {
  it('the other two take over its partitions: nothing lost, its work seen again at most its uncommitted window, all committed at the end', async () => {
    const topic = unique('group');
    const N = 30_000;
    const P = 6;
    const MAX_BUFFERED = 500;
    await produceKeyed(topic, N, { partitions: P, keys: 200 });
    const group = unique('g');
    const args = [brokers, topic, group, '64', '2', '--commit-interval', '200', '--max-buffered', String(MAX_BUFFERED)];
    const children = [runChild(args), runChild(args), runChild(args)];
    const union = () => new Set(children.flatMap((c) => c.done));
    // All three working (the group settled on them) before the kill.
    while (children.some((c) => c.done.length === 0) || union().size < N * 0.3) {
      if (children.some((c) => c.child.exitCode !== null)) throw new Error('a child exited early');
      await sleep(20);
    }
    const [victim, ...survivors] = children as [ChildRun, ChildRun, ChildRun];
    const atKill = { ...victim.stats };
    const lastCommit = victim.commits.at(-1)?.afterDone ?? 0;
    const victimPartitions = new Set(victim.done.slice(-200).map((d) => Number(d.split(':')[0])));
    victim.child.kill('SIGKILL');
    const killedAt = (await victim.exited).at;
    const doneByVictim = new Set(victim.done);
    const seenBySurvivors = survivors.map((c) => c.done.length);
    // Its partitions are taken over once the group notices (session.timeout.ms 6 s in the child).
    let takenOverAt: number | undefined;
    while (union().size < N) {
      if (takenOverAt === undefined && survivors.some((c, i) => c.done.slice(seenBySurvivors[i]).some((d) => victimPartitions.has(Number(d.split(':')[0])))))
        takenOverAt = performance.now();
      if (survivors.some((c) => c.child.exitCode !== null)) throw new Error('a surviving child exited early');
      if (performance.now() - killedAt > 90_000) throw new Error(`only ${union().size} of ${N} handled 90 s after the kill`);
      await sleep(20);
    }
    for (const c of survivors) c.child.kill('SIGTERM');
    const exits = await Promise.all(survivors.map((c) => c.exited));
    const redone = survivors.flatMap((c) => c.done).filter((d) => doneByVictim.has(d));
    const all = children.flatMap((c) => c.done);
    console.log(
      `group: killed one of 3 after ${victim.done.length} done (in flight ${atKill.inflight}, buffered ${atKill.buffered}, ` +
        `${victim.done.length - lastCommit} done since its last commit), partitions ${[...victimPartitions].join(',')}; ` +
        `taken over ${takenOverAt === undefined ? 'before the next check' : `${((takenOverAt - killedAt) / 1000).toFixed(1)} s`} after the kill; ` +
        `its work seen again: ${redone.length}; all handled ${all.length} for ${N} messages (${all.length - N} seen twice, rebalances included)`,
    );
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    expect(union().size).toBe(N); // nothing lost
    // What the killed one had finished and is seen again is bounded by its uncommitted window.
    expect(redone.length).toBeLessThanOrEqual(P * MAX_BUFFERED + (victim.done.length - lastCommit));
    expect(await committedOffsets(group, topic, P)).toEqual(await endOffsets(topic, P));
  }, 150_000);
});

describe('a consumer process killed with SIGKILL while messages are in its retry topics', () => {
  it('after a restart every message is handled or dead-lettered; none lost', async () => {
    const topic = unique('crash-retry');
    const N = 3_000;
    await produceKeyed(topic, N, { partitions: 3, keys: 100 });
    const group = unique('g');
    // Every 10th message fails its first attempt and goes to a 1.5 s retry topic; the kill comes
    // before most are due, so they sit in the retry topic (or are on their way into it).
    const killed = runChild([brokers, topic, group, '32', '1', '--retry-delays', '1500,3000', '--fail-every', '10', '--commit-interval', '100']);
    await killed.reached(N * 0.6);
    killed.child.kill('SIGKILL');
    await killed.exited;
    const byKilled = new Set(killed.values);
    const c = await consumer(topic, group, { concurrency: 32, retryTopics: { delays: [1500, 3000] }, deadLetter: true, retry: { retries: 0 } });
    const all = new Set(byKilled);
    let again = 0;
    const t0 = performance.now();
    await c.run((m) => {
      const v = m.value!.toString().trim();
      if (all.has(v)) again++;
      all.add(v);
      if (all.size === N) c.stop();
    });
    console.log(
      `crash in the retry path: the killed one finished ${byKilled.size} of ${N}; after the restart all ${all.size} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${again} handled a second time`,
    );
    expect(all.size).toBe(N);
  }, 120_000);
});

describe.each([
  ['eager', 'range'],
  ['cooperative-sticky', 'cooperative-sticky'],
])('a second consumer joining and leaving mid-run (%s)', (_name, strategy) => {
  it('nothing lost; no commit for a partition while it is not assigned; duplicates reported', async () => {
    const topic = unique('rebalance');
    const N = 12_000;
    const P = 6;
    await produceKeyed(topic, N, { partitions: P, keys: 300 });
    const group = unique('g');
    const conf = { 'partition.assignment.strategy': strategy, 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 500 };
    const seen = new Map<string, string[]>(); // message -> consumers that finished it
    const violations: string[] = [];
    const counts = { a: 0, b: 0 };

    /** Watches a consumer's real client: which partitions librdkafka holds for it, and each commit against that. */
    const watch = (c: VeloConsumer, who: string) => {
      const held = new Set<number>();
      const client = c.client;

      const wrap = <K extends 'assign' | 'unassign' | 'incrementalAssign' | 'incrementalUnassign' | 'commit' | 'commitSync'>(
        method: K,
        before: (arg: never) => void,
      ) => {
        const real = client[method].bind(client) as (arg?: unknown) => unknown;
        (client as unknown as Record<string, unknown>)[method] = (arg: never) => (before(arg), real(arg));
      };
      wrap('assign', (list: { partition: number }[]) => list.forEach((t) => held.add(t.partition)));
      wrap('incrementalAssign', (list: { partition: number }[]) => list.forEach((t) => held.add(t.partition)));
      wrap('unassign', () => held.clear());
      wrap('incrementalUnassign', (list: { partition: number }[]) => list.forEach((t) => held.delete(t.partition)));
      const check = (list: { partition: number; offset: number }[]) => {
        for (const o of list) if (!held.has(o.partition)) violations.push(`${who} committed partition ${o.partition} (${o.offset}) while not assigned it`);
      };
      wrap('commit', check);
      wrap('commitSync', check);
    };
    const handler = (c: VeloConsumer, who: 'a' | 'b') => async (m: { partition: number; offset: number }) => {
      await sleep(1);
      const k = id(m.partition, m.offset);
      seen.set(k, [...(seen.get(k) ?? []), who]);
      counts[who]++;
      // The last new message may be finished by b while it drains for its close: a must stop then
      // too (stopping only the one that finished it left a running until the test timed out).
      if (seen.size === N) {
        c.stop();
        a.stop();
      }
    };

    const a = await consumer(topic, group, { concurrency: 32, commitInterval: 200 }, conf);
    watch(a, 'a');

    const runA = a.run(handler(a, 'a'));
    while (seen.size < N * 0.25) await sleep(20);
    const b = await consumer(topic, group, { concurrency: 32, commitInterval: 200 }, conf);
    watch(b, 'b');
    const runB = b.run(handler(b, 'b'));
    while (counts.b < 1000 && seen.size < N) await sleep(20);
    const assignedWhileBoth = { a: a.stats.assigned, b: b.stats.assigned };
    await b.close(10_000); // leaves: its partitions go back to a
    await runB;
    await runA;
    const twice = [...seen.values()].filter((w) => w.length > 1).length;
    console.log(
      `rebalance (${strategy}): a handled ${counts.a}, b ${counts.b}; partitions while both ran a ${assignedWhileBoth.a} / b ${assignedWhileBoth.b}; ${twice} handled twice`,
    );
    expect(seen.size).toBe(N);
    expect(assignedWhileBoth.a + assignedWhileBoth.b).toBe(P);
    expect(assignedWhileBoth.b).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(await committedOffsets(group, topic, P)).toEqual(await endOffsets(topic, P));
  }, 120_000);
});

describe('a partition paused when it is revoked, assigned back later (cooperative-sticky)', () => {
  it('is fetched again: librdkafka keeps a pause across a revoke and an assign, the consumer resumes it', async () => {
    const topic = unique('repause');
    const N = 3_000;
    const P = 6;
    await produceKeyed(topic, N, { partitions: P, keys: 60 });
    const group = unique('g');
    const conf = { 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 500 };
    const seen = new Set<string>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // a stalls, so its buffer fills and it pauses every partition (after the 1 s a full buffer waits).
    const a = await consumer(topic, group, { concurrency: 4, maxBuffered: 20, drainTimeout: 500, commitInterval: 200 }, conf);
    const runA = a.run(async (m) => {
      await gate;
      seen.add(id(m.partition, m.offset));
      if (seen.size === N) a.stop();
    });
    while (a.stats.buffered < 20) await sleep(20);
    await sleep(1_500);
    // b joins: a gives up half of its partitions, paused.
    const b = await consumer(topic, group, { concurrency: 16, commitInterval: 200 }, conf);
    let byB = 0;
    const runB = b.run(async (m) => {
      seen.add(id(m.partition, m.offset));
      byB++;
    });
    while (b.stats.assigned === 0 || byB < 50) await sleep(20);
    const split = { a: a.stats.assigned, b: b.stats.assigned };
    await b.close(10_000); // its partitions go back to a
    await runB;
    release();
    const deadline = performance.now() + 40_000;
    while (seen.size < N && performance.now() < deadline) await sleep(50);
    console.log(`re-pause: partitions a ${split.a} / b ${split.b} while both ran; b handled ${byB}; ${seen.size} of ${N} handled after b left`);
    a.stop();
    await runA;
    expect(split.b).toBeGreaterThan(0);
    expect(seen.size).toBe(N);
  }, 120_000);
});

describe('close()', () => {
  it('after 20,000 messages returns within 2 s, and the process exits right after', async () => {
    const topic = unique('close');
    const N = 20_000;
    await produceKeyed(topic, N, { partitions: 3 });
    const group = unique('g');
    const r = runChild([brokers, topic, group, '64', '0', '--close-after', String(N)]);
    const exit = await r.exited;
    console.log(`close: ${r.done.length} handled, close() took ${r.closed} ms, exit code ${exit.code}`);
    expect(exit.code).toBe(0);
    expect(r.done.length).toBeGreaterThanOrEqual(N);
    expect(r.closed).toBeLessThan(2_000);
    expect(exit.at - r.closedAt!).toBeLessThan(1_000); // nothing keeps the process alive after close()
    expect(await committedOffsets(group, topic, 3)).toEqual(await endOffsets(topic, 3));
  }, 120_000);
});
