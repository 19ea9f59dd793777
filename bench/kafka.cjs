// Producer throughput on a real broker, one run: raw node-rdkafka, the velo-retry producer, and
// Kafka's own Java ProducerPerformance (kafka-tools), with the same topic, record size, acks and
// linger. Figures are ns per message (lower is better, like every other row) with msg/s, MB/s
// and p50/p99 delivery latency as notes. Uses KAFKA_BROKERS, or starts the project's broker.
'use strict';
const { spawnSync } = require('node:child_process');
const v8 = require('node:v8');
const vm = require('node:vm');
const { PerformanceObserver } = require('node:perf_hooks');
const path = require('node:path');
const Kafka = require('node-rdkafka');
const { startBroker, classpath } = require('../scripts/kafka/broker.cjs');
const dist = path.join(__dirname, '..', 'dist');
const { createProducer, deleteTopic, ensureTopic, PerformanceCollector } = require(`${dist}/kafka`);
const { RetryMetrics } = require(dist);
const { ENVELOPE_HEADER, PREAMBLE } = require(`${dist}/envelope`);

const N = Number(process.env.BENCH_KAFKA_MESSAGES || 200_000);
const RECORD = 1024;
/** The small events of the second batching row. */
const SMALL = 100;
// Idempotence (the façade's default) needs acks=all: librdkafka raises acks to all by itself, Java refuses otherwise.
const SETTINGS = { acks: 'all', 'linger.ms': 5 };

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
}

/** "p50 …, p99 …" of delivery latencies (ms). */
function quantiles(latencies) {
  latencies.sort((a, b) => a - b);
  return `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`;
}

/** One variant's row: ns per message, with msg/s, MB/s and what is known of latency as the note. */
function result(name, ms, latency, bytes = RECORD) {
  const perSec = N / (ms / 1000);
  return {
    name,
    nsPerMessage: (ms * 1e6) / N,
    note: `${Math.round(perSec).toLocaleString('en-US')} msg/s, ${((perSec * bytes) / 1e6).toFixed(1)} MB/s, ${latency}`,
  };
}

/**
 * node-rdkafka as fast as it goes: produce until the queue is full, then wait for the next
 * delivery report (which frees room) and go on. (Spinning on setImmediate instead, polling and
 * catching queue-full errors, measured slower: it takes a core from librdkafka and the broker.)
 */
async function raw(brokers, topic, value) {
  const { ms, latencies } = await rawRun(brokers, topic, value, N);
  return result('raw node-rdkafka', ms, quantiles(latencies), value.length);
}

const CEILING = 'raw node-rdkafka, 100 KiB records (the bytes ceiling)';

/**
 * The same bytes as N x 1 KiB in records of 100 KiB (an envelope's size): what librdkafka and the
 * broker move per second on this machine whatever the records hold. Batching makes records this
 * big, so it cannot beat this row by more than noise; in ns per KiB, the batching rows' unit. A
 * reference, not the target's bound: it keeps no promise per message, which a send() must (its
 * floor, rawEnveloped, does; in the full bench of 2026-12-04 this row reached 3.02x raw).
 */
async function ceiling(brokers, topic) {
  const records = N / 100;
  const { ms, latencies } = await rawRun(brokers, topic, Buffer.alloc(100 * RECORD, 'c'), records);
  const mbs = (N * RECORD) / 1e6 / (ms / 1000);
  return {
    name: CEILING,
    nsPerMessage: (ms * 1e6) / N,
    note: `${Math.round(N / (ms / 1000)).toLocaleString('en-US')} KiB/s (${mbs.toFixed(1)} MB/s) in ${records.toLocaleString('en-US')} records, ${quantiles(latencies)}`,
  };
}

/**
 * The floors' promises: one executor for all of them, that keeps the resolve of the promise made
 * last (an arrow per promise would be one more closure per message; velo-retry shares one too).
 */
let resolveLast = () => {};
const capture = (resolve) => (resolveLast = resolve);

const FLOOR = "send()'s API alone, no Kafka (the floor)";

/**
 * The API floor's N sends in flight: each the caller's message and a promise, all awaited with
 * one Promise.all; and what delivers them (each message let go then).
 * @returns {[Promise<unknown>, () => void]}
 */
function apiHandOver() {
  const resolvers = new Array(N);
  const messages = new Array(N);
  const sends = new Array(N);
  for (let i = 0; i < N; i++) {
    messages[i] = { topic: 'floor', value: i };
    sends[i] = new Promise(capture);
    resolvers[i] = resolveLast;
  }
  const finish = () => {
    for (let i = 0; i < N; i++) {
      resolvers[i]({ topic: messages[i].topic, partition: 0, offset: i, batch: { id: 1n, index: i % 100, count: 100 } });
      messages[i] = resolvers[i] = undefined;
    }
  };
  return [Promise.all(sends), finish];
}

/**
 * What a send() per message costs with no Kafka underneath: the caller's message object, kept
 * until its delivery (a send that can retry must keep it), a promise resolved with a Delivery and
 * its batch, all awaited with Promise.all, as the batching rows do. No producer can allocate less
 * per logical message and keep that API (sendMany drops the promise).
 */
async function apiFloor() {
  const t0 = performance.now();
  const [all, finish] = apiHandOver();
  finish();
  await all;
  const ms = performance.now() - t0;
  return { name: FLOOR, nsPerMessage: (ms * 1e6) / N, note: `${Math.round(N / (ms / 1000)).toLocaleString('en-US')} msg/s` };
}

/**
 * What a raw run does per record: its opaque (made right before its produce), what its delivery
 * report does, what to wait for after the last report, and the latencies it took if any; `begin`,
 * what it does once the clock runs, before the first produce.
 * @typedef {{ opaque: (i: number) => unknown, report: (r: any) => void, settled?: Promise<unknown>, latencies?: number[], begin?: () => void }} Shape
 */

/** Raw's opaque and report: the produce time, and each delivery's latency from it. @returns {Shape} */
function timing() {
  const latencies = [];
  return { latencies, opaque: () => performance.now(), report: (r) => void latencies.push(performance.now() - r.opaque) };
}

/**
 * node-rdkafka producing `n` x `value`; the ms it took. `shape` gives each record's opaque (called
 * right before its produce) and reads each delivery report; by default, the latency of each.
 * @param {Shape} [shape]
 * @param {Record<string, string>[]} [headers]
 */
async function rawRun(brokers, topic, value, n, shape = timing(), headers = undefined) {
  const p = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'enable.idempotence': true, ...SETTINGS });
  await new Promise((resolve, reject) => p.connect({}, (e) => (e ? reject(e) : resolve())));
  p.setPollInterval(5);
  let delivered = 0;
  let room = null;
  const done = new Promise((resolve) =>
    p.on('delivery-report', (err, report) => {
      if (err) throw err;
      shape.report(report);
      if (room) {
        const wake = room;
        room = null;
        wake();
      }
      if (++delivered === n) resolve();
    }),
  );
  const t0 = performance.now();
  shape.begin?.();
  for (let i = 0; i < n;) {
    try {
      p.produce(topic, null, value, null, null, shape.opaque(i), headers);
      i++;
    } catch (e) {
      if (e.code !== -184) throw e;
      p.poll();
      await new Promise((r) => (room = r));
    }
  }
  await done;
  await shape.settled;
  const ms = performance.now() - t0;
  await new Promise((r) => p.disconnect(r));
  return { ms, latencies: shape.latencies ?? [] };
}

/**
 * Raw node-rdkafka producing N / `per` records of `value`, each carrying `per` logical messages,
 * used as the velo rows use send(): all N messages handed over first, each the caller's object
 * and a promise, and all awaited with Promise.all. A promise API that retries has N promises in
 * flight then, and keeps each message (at least the caller's object) until its record's report,
 * which resolves its promise with `delivery(report, index)`. Each message's latency is taken with
 * a clock read when its promise is made and one per report (as raw, the velo rows' metrics and
 * the collector take it).
 */
async function promisedRun(brokers, topic, value, per, delivery, headers) {
  const sends = new Array(N);
  const resolvers = new Array(N);
  const messages = new Array(N);
  const starts = new Float64Array(N);
  const latencies = [];
  /** @type {Shape} */
  const shape = {
    latencies,
    begin: () => {
      for (let k = 0; k < N; k++) {
        messages[k] = { topic, value };
        starts[k] = performance.now();
        sends[k] = new Promise(capture);
        resolvers[k] = resolveLast;
      }
    },
    opaque: (i) => i,
    report: (r) => {
      const now = performance.now();
      for (let k = 0, at = r.opaque * per; k < per; k++, at++) {
        latencies.push(now - starts[at]);
        resolvers[at](delivery(r, k));
        messages[at] = resolvers[at] = undefined;
      }
    },
    get settled() {
      return Promise.all(sends);
    },
  };
  const { ms } = await rawRun(brokers, topic, value, N / per, shape, headers);
  return { ms, latency: quantiles(latencies) };
}

const PROMISED = 'raw node-rdkafka, a promise per message, all handed over first (the floor of send())';

/**
 * Raw node-rdkafka as above plus what a send() per message that returns a promise and can retry
 * keeps, used as the velo row uses it (promisedRun): the least such a send() can cost over raw,
 * on the broker.
 */
async function rawPromised(brokers, topic, value) {
  const { ms, latency } = await promisedRun(brokers, topic, value, 1, (r) => ({ topic: r.topic, partition: r.partition, offset: r.offset }));
  return result(PROMISED, ms, latency, value.length);
}

const ENVELOPED = 'raw node-rdkafka, envelopes made beforehand, a promise per message (the floor of batched send())';

/**
 * The least a batched send() can cost: node-rdkafka producing one ready-made envelope (the bytes
 * of 100 messages of `value`'s size, its header) per 100 logical messages, and a promise per
 * logical message resolved from the envelope's report with its Delivery and batch. No
 * validation, no partition choice, no encoding: what a batching send() adds to this is work.
 */
async function rawEnveloped(brokers, topic, value) {
  const per = 100;
  const envelope = Buffer.alloc(PREAMBLE + per * (12 + value.length), 'e');
  const delivery = (r, index) => ({ topic: r.topic, partition: r.partition, offset: r.offset, batch: { id: 1n, index, count: per } });
  const { ms, latency } = await promisedRun(brokers, topic, envelope, per, delivery, [{ [ENVELOPE_HEADER]: '1' }]);
  return result(ENVELOPED, ms, latency, value.length);
}

/** ms to send N messages through `p`, one send() promise each or one sendMany(); then closes it. */
async function timedSends(p, topic, value, many) {
  const t0 = performance.now();
  if (many) {
    const deliveries = await p.sendMany(Array.from({ length: N }, () => ({ topic, value })));
    if (deliveries.length !== N) throw new Error(`sendMany delivered ${deliveries.length} of ${N}`);
  } else {
    const sends = new Array(N);
    for (let i = 0; i < N; i++) sends[i] = p.send({ topic, value });
    await Promise.all(sends);
  }
  const ms = performance.now() - t0;
  await p.close();
  return ms;
}

/**
 * The velo-retry producer, used the way its README shows: one send() promise per message (or its
 * bulk path, one sendMany() for all N). Delivery latency comes from its own RetryMetrics (send to
 * delivery report, as raw's is produce to report), not from a .then per message: that closure and
 * its promise are the caller's cost, the same whichever library is underneath (measured here:
 * 60-63k msg/s with one, 76-89k without).
 */
async function veloWith(many, brokers, topic, value) {
  const metrics = new RetryMetrics();
  const p = await createProducer({ 'bootstrap.servers': brokers, ...SETTINGS }, { metrics });
  const ms = await timedSends(p, topic, value, many);
  return result(many ? 'velo-retry producer, sendMany' : 'velo-retry producer', ms, metricsLatency(metrics));
}
const velo = (brokers, topic, value) => veloWith(false, brokers, topic, value);
const veloMany = (brokers, topic, value) => veloWith(true, brokers, topic, value);

/** p50 and p99 of the sends a RetryMetrics saw (send to delivery report), checking it saw every one. */
function metricsLatency(metrics) {
  const { successes, latency } = metrics.snapshot();
  if (successes !== N + 1) throw new Error(`metrics saw ${successes} successes, not ${N} sends + the connect`);
  return `p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (its RetryMetrics)`;
}

const BATCHED = 'velo-retry producer, batching 100 per envelope';
const BATCHED_MANY = 'velo-retry producer, batching 100 per envelope, sendMany';

/**
 * Batching envelopes, 100 logical messages each, through send() per logical message (as the README
 * shows) or one sendMany(); latency (send to the envelope's delivery report) from a PerformanceCollector.
 */
async function batchedWith(many, brokers, topic, value) {
  const collector = new PerformanceCollector();
  const p = await createProducer({ 'bootstrap.servers': brokers, ...SETTINGS }, { batching: { maxMessages: 100 }, collector });
  const ms = await timedSends(p, topic, value, many);
  const { messages, latency } = collector.snapshot().producer;
  if (messages !== N) throw new Error(`the collector saw ${messages} of ${N} logical messages`);
  return result(many ? BATCHED_MANY : BATCHED, ms, `p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (its collector)`, value.length);
}
const veloBatched = (brokers, topic, value) => batchedWith(false, brokers, topic, value);
const veloBatchedMany = (brokers, topic, value) => batchedWith(true, brokers, topic, value);

/** The run of median ns per message among `runs` (not reordered). */
function median(runs) {
  return [...runs].sort((a, b) => a.nsPerMessage - b.nsPerMessage)[runs.length >> 1];
}

/**
 * Each of `names`' ratio to `base`: the median over rounds of its ns per message over base's in
 * the same round. Paired, a broker that speeds up or slows down between rounds cancels out. With
 * `notes`, each one's note gets the range of its per-round ratios (how far one run can be trusted).
 * @param {Map<string, { nsPerMessage: number }[]>} byName each variant's runs, in round order
 * @param {Record<string, string>} notes
 */
function paired(byName, base, names, notes) {
  return Object.fromEntries(
    names.map((n) => {
      const ratios = perRound(byName, n, base);
      notes[n] += `; x ${base} per round: ${spread(ratios)}`;
      return [n, ratios[ratios.length >> 1]];
    }),
  );
}

/** "min-max" of sorted ratios. */
const spread = (ratios) => `${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)}`;

/** `name`'s ns per message over `base`'s in the same round, for each round, sorted. */
function perRound(byName, name, base) {
  const of = byName.get(base);
  return byName
    .get(name)
    .map((r, round) => r.nsPerMessage / of[round].nsPerMessage)
    .sort((a, b) => a - b);
}

/**
 * Adds to `name`'s note its ratio to `bound`, paired per round (median and range): the report's
 * "this Nx of it" divides two medians, each over its own rounds, which is noisier.
 */
function notePairedToBound(byName, name, bound, notes) {
  const ratios = perRound(byName, name, bound);
  const mid = ratios[ratios.length >> 1];
  notes[name] += `; x its floor per round: ${mid.toFixed(2)} (${spread(ratios)})`;
}

/** A full GC on demand (the bench runs without --expose-gc; V8 takes the flag at run time). */
const fullGc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

const RETAINED = 'JS heap kept alive per message in flight';

/**
 * Bytes of JS heap each message keeps alive while in flight: a full GC, `handOver()` (N messages
 * handed over at once and awaited with one promise, as the timed rows do), a full GC again, the
 * difference over N; then `finish` if given, and a wait for them all; twice, the smaller. Not
 * timed: what the GC runs of the timed rows have to trace and copy.
 * @param {() => [Promise<unknown>, (() => void)?]} handOver
 */
async function retained(handOver) {
  // The smaller of two, each in a call of its own: an async function's frame keeps what its
  // variables held until they are overwritten, which a second hand-over in the same call would
  // count as freed. The first hand-over in a process also holds what is allocated once.
  return Math.min(await retainedOnce(handOver), await retainedOnce(handOver));
}

/** @param {() => [Promise<unknown>, (() => void)?]} handOver */
async function retainedOnce(handOver) {
  fullGc();
  fullGc();
  const before = process.memoryUsage().heapUsed;
  const [all, finish] = handOver();
  fullGc();
  const bytes = (process.memoryUsage().heapUsed - before) / N;
  finish?.();
  await all;
  return bytes;
}

/** RETAINED for send(), sendMany() and the API floor, with and without batching, 1 KiB values. */
async function retainedRow(brokers, value) {
  const of = (options, many) =>
    onFreshTopic(brokers, 'retained', async (topic) => {
      const p = await createProducer({ 'bootstrap.servers': brokers, ...SETTINGS }, options);
      const bytes = await retained(() => [
        many ? p.sendMany(Array.from({ length: N }, () => ({ topic, value }))) : Promise.all(Array.from({ length: N }, () => p.send({ topic, value }))),
      ]);
      await p.close();
      return bytes;
    });
  // Resolved once measured: until then they are in flight, as the sends are.
  const floor = await retained(apiHandOver);
  return {
    section: 'kafka producer',
    name: `${RETAINED}: ${N.toLocaleString('en-US')} x 1 KiB handed over at once, after a full GC`,
    unit: 'byte',
    absolute: true,
    variants: {
      'velo-retry producer': await of({}, false),
      'velo-retry producer, sendMany': await of({}, true),
      [BATCHED]: await of({ batching: { maxMessages: 100 } }, false),
      [BATCHED_MANY]: await of({ batching: { maxMessages: 100 } }, true),
      [FLOOR]: floor,
    },
    chosen: BATCHED,
  };
}

const ROUNDS = 7;

/** `run(topic)` on a fresh topic of 3 partitions, deleted after (a run writes up to 200 MB, and the bench's broker keeps its log in memory). */
async function onFreshTopic(brokers, what, run) {
  const t = `bench-${what}-${Date.now()}`;
  await ensureTopic({ 'bootstrap.servers': brokers }, t, { partitions: 3, replicationFactor: 1 });
  try {
    return await run(t);
  } finally {
    await deleteTopic({ 'bootstrap.servers': brokers }, t);
  }
}

/**
 * ROUNDS interleaved rounds of `variants` with `value`, each run on a fresh topic, counting GC
 * runs: a broker's state (page cache, segment rolls) favours whichever runs at a better moment,
 * so each variant runs once a round and figures are medians or paired ratios over rounds.
 * @param {[string, typeof raw][]} variants
 * @returns {Promise<Map<string, { name: string, nsPerMessage: number, note: string, gcs: number }[]>>} each variant's runs, in round order
 */
async function inRounds(brokers, variants, value, label) {
  const byName = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [what, run] of variants) {
      console.error(`  kafka: ${what}, ${label}, round ${round + 1}/${ROUNDS}`);
      const r = await onFreshTopic(brokers, what, (t) => counted(() => run(brokers, t, value)));
      byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    }
  }
  return byName;
}

/**
 * Runs a variant counting its GC runs, on a heap collected first: what the variant before left
 * behind (200,000 promises, say) is not this one's to collect.
 */
async function counted(run) {
  fullGc();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  const r = await run();
  await new Promise((res) => setTimeout(res, 50)); // GC entries arrive asynchronously
  obs.disconnect();
  return { ...r, gcs, note: `${r.note}, ${gcs} GC runs` };
}

/** Kafka's own load generator, same settings. */
function java(brokers, topic, classpath) {
  const r = spawnSync(
    'java',
    [
      '-Xmx512m',
      '-cp',
      classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(N),
      '--record-size',
      String(RECORD),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      `acks=${SETTINGS.acks}`,
      `linger.ms=${SETTINGS['linger.ms']}`,
      'enable.idempotence=true',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  // The last line is the summary; earlier ones are progress reports without percentiles.
  const line = r.stdout
    .split('\n')
    .filter((l) => l.includes('records sent') && l.includes('50th'))
    .pop();
  const m =
    line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(line);
  if (!m) throw new Error(`ProducerPerformance said:\n${r.stdout}\n${r.stderr}`);
  const perSec = Number(m[1]);
  return {
    name: 'Kafka ProducerPerformance (Java)',
    nsPerMessage: 1e9 / perSec,
    note: `${Math.round(perSec).toLocaleString('en-US')} msg/s, ${m[2]} MB/s, p50 ${m[3]} ms, p99 ${m[4]} ms`,
  };
}

async function kafka() {
  // Its log in memory: a run writes ~8 GB (a fresh topic per run), and the disk's writeback of it
  // competes for the 2 cores. Not the main noise, measured: send()'s floor per round 0.90-1.42x raw
  // with the log on disk, 1.02-1.35x in memory.
  const own = process.env.KAFKA_BROKERS ? undefined : await startBroker({ inMemory: true });
  const brokers = process.env.KAFKA_BROKERS || own.brokers;
  try {
    const value = Buffer.alloc(RECORD, 'v');
    // A fresh broker's first seconds are its slowest (the bench starts one): a run first, not counted.
    console.error(`  kafka: warm-up, ${N} messages, not counted`);
    await onFreshTopic(brokers, 'warm-up', (t) => raw(brokers, t, value));
    const byName = await inRounds(
      brokers,
      [
        ['raw', raw],
        ['raw-promised', rawPromised],
        ['velo', velo],
        ['velo-many', veloMany],
        ['velo-batched', veloBatched],
        ['velo-batched-many', veloBatchedMany],
        ['enveloped', rawEnveloped],
        ['ceiling', ceiling],
        ['floor', apiFloor],
      ],
      value,
      `${N} x ${RECORD} bytes`,
    );
    const runs = [...byName.values()].map(median);
    // Where batching is meant to pay: small events, whose per-record cost dominates.
    const smallByName = await inRounds(
      brokers,
      [
        ['raw', raw],
        ['enveloped', rawEnveloped],
        ['batched', veloBatched],
        ['batchedMany', veloBatchedMany],
      ],
      Buffer.alloc(SMALL, 's'),
      `${N} x ${SMALL} bytes`,
    );
    const [smallRaw, smallEnveloped, smallBatched, smallBatchedMany] = ['raw node-rdkafka', ENVELOPED, BATCHED, BATCHED_MANY].map((n) =>
      median(smallByName.get(n)),
    );
    console.error(`  kafka: ${RETAINED}`);
    const heapRow = await retainedRow(brokers, value);
    console.error(`  kafka: java, ${N} messages`);
    runs.push(await onFreshTopic(brokers, 'java', async (t) => java(brokers, t, own ? own.classpath : classpath())));
    const of = (name) => runs.find((r) => r.name === name);
    const batched = [BATCHED, BATCHED_MANY, ENVELOPED, CEILING];
    const perMessage = runs.filter((r) => ![...batched, FLOOR].includes(r.name));
    const perMessageNotes = Object.fromEntries(perMessage.map((r) => [r.name, r.note]));
    const batchedNotes = Object.fromEntries(['raw node-rdkafka', ...batched].map((n) => [n, of(n).note]));
    const smallNotes = {
      'raw node-rdkafka': smallRaw.note,
      [BATCHED]: smallBatched.note,
      [BATCHED_MANY]: smallBatchedMany.note,
      [ENVELOPED]: smallEnveloped.note,
      [FLOOR]: of(FLOOR).note,
    };
    notePairedToBound(byName, 'velo-retry producer', PROMISED, perMessageNotes);
    notePairedToBound(byName, BATCHED, ENVELOPED, batchedNotes);
    notePairedToBound(smallByName, BATCHED, ENVELOPED, smallNotes);
    return [
      {
        section: 'kafka producer',
        name: `${N.toLocaleString('en-US')} x 1 KiB, idempotent, acks=all, linger.ms=5, 3 partitions`,
        unit: 'message',
        variants: Object.fromEntries(perMessage.map((r) => [r.name, r.nsPerMessage])),
        notes: perMessageNotes,
        ratios: paired(byName, 'raw node-rdkafka', [PROMISED, 'velo-retry producer', 'velo-retry producer, sendMany'], perMessageNotes),
        chosen: 'velo-retry producer',
        // The target is on send(), one promise per message; sendMany is the bulk path beside it.
        target: { variant: 'velo-retry producer', max: 1 / 0.95, text: '>= 95% of raw msg/s', bound: PROMISED },
      },
      {
        section: 'kafka producer',
        name: 'batching envelopes: logical messages, 1 KiB each, 100 per envelope (one send() each)',
        unit: 'message',
        variants: Object.fromEntries(['raw node-rdkafka', ...batched].map((n) => [n, of(n).nsPerMessage])),
        notes: batchedNotes,
        ratios: paired(byName, 'raw node-rdkafka', batched, batchedNotes),
        chosen: BATCHED,
        // Bound: the floor of batched send(), as in the 100-byte row. The bytes ceiling keeps no
        // promise per message, so no send() that returns one can reach it; it stays as a reference.
        target: { variant: BATCHED, max: 1 / 3, text: '>= 3x raw logical msg/s', bound: ENVELOPED },
      },
      {
        section: 'kafka producer',
        name: `batching envelopes: logical messages of ${SMALL} bytes, 100 per envelope`,
        unit: 'message',
        variants: {
          'raw node-rdkafka': smallRaw.nsPerMessage,
          [BATCHED]: smallBatched.nsPerMessage,
          [BATCHED_MANY]: smallBatchedMany.nsPerMessage,
          [ENVELOPED]: smallEnveloped.nsPerMessage,
          [FLOOR]: of(FLOOR).nsPerMessage,
        },
        notes: smallNotes,
        // The floor is not on the broker: its figure over raw's median, unpaired.
        ratios: paired(smallByName, 'raw node-rdkafka', [BATCHED, BATCHED_MANY, ENVELOPED], smallNotes),
        chosen: BATCHED,
        target: { variant: BATCHED, max: 1 / 3, text: '>= 3x raw logical msg/s', bound: ENVELOPED },
      },
      {
        section: 'kafka producer',
        name: `GC runs while sending ${N.toLocaleString('en-US')} x 1 KiB`,
        unit: 'run',
        absolute: true,
        variants: {
          'velo-retry producer': of('velo-retry producer').gcs,
          [BATCHED]: of(BATCHED).gcs,
          [BATCHED_MANY]: of(BATCHED_MANY).gcs,
          [FLOOR]: of(FLOOR).gcs,
        },
        chosen: BATCHED,
        target: { variant: BATCHED, max: 1 / 5, text: '<= 1/5 of the per-message path', bound: FLOOR },
      },
      heapRow,
    ];
  } finally {
    await own?.stop();
  }
}

module.exports = { kafka };
