#!/usr/bin/env node
// npm run soak -- --minutes N [--rate MSGS_PER_S]
//
// Retry storms against a broker that goes away: a broker of its own is stopped (SIGTERM) and
// started again on its data dir every 20 s, while a producer sends at a steady rate, a consumer
// handles in parallel, and topic checks (ensureTopic) are retried through every outage. Every
// 10 s it samples RSS, heap (after a forced GC), active handles and the counts. At the end: the
// table, whether memory and handles stayed flat after warm-up (the later half against the earlier:
// see the end of main), and whether every acknowledged message was handled. Exits 1 when either
// fails. Not part of `npm test`: minutes long.
'use strict';
const path = require('node:path');
const { startBroker } = require('./kafka/broker.cjs');
const dist = path.join(__dirname, '..', 'dist');
const { createConsumer, createProducer, ensureTopic } = require(`${dist}/kafka`);
const { RetryMetrics } = require(dist);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const MINUTES = Number(arg('minutes', '5'));
const RATE = Number(arg('rate', '1000'));
const CYCLE_MS = 20_000;
const SAMPLE_MS = 10_000;
/** Growth past warm-up that counts as not flat: heap and RSS by this share, handles by this many. */
const MAX_GROWTH = 0.25;
const MAX_HANDLE_GROWTH = 10;
/** Heap floors move by a few MB with where samples fall in the outage cycle. */
const HEAP_SLACK_MB = 4;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (n) => (n / 1024 / 1024).toFixed(1);

async function main() {
  if (!(MINUTES > 0)) throw new RangeError(`--minutes must be a positive number, got ${arg('minutes')}`);
  if (!(Number.isInteger(RATE) && RATE > 0)) throw new RangeError(`--rate must be a positive integer, got ${arg('rate')}`);
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc (npm run soak does)');
  const broker = await startBroker();
  const config = { 'bootstrap.servers': broker.brokers };
  const topic = `soak-${Date.now()}`;
  const metrics = new RetryMetrics();
  await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
  const producer = await createProducer(config, { metrics });
  const consumer = await createConsumer({ ...config, 'group.id': `${topic}-group` }, { topics: [topic], fromBeginning: true, metrics });
  const counts = { sent: 0, acked: 0, failed: 0, handled: 0, topicChecks: 0, outages: 0 };
  // Per sequence number: 1 acknowledged, 2 handled. Allocated once, so the soak's own bookkeeping
  // does not grow with the run (Sets of every number did: +5 MB of heap over 4 minutes).
  const state = new Uint8Array(Math.ceil(MINUTES * 60 * RATE * 1.5) + 10_000);
  let unhandled = 0; // acknowledged and not yet handled
  const end = Date.now() + MINUTES * 60_000;
  let running = true;

  const consuming = consumer.run(async (m) => {
    await sleep(1);
    const seq = Number(m.value.toString());
    if ((state[seq] & 2) === 0) {
      if (state[seq] & 1) unhandled--;
      state[seq] |= 2;
      counts.handled++;
    }
  });

  // The producer: RATE messages a second, in ticks of 100 ms.
  const producing = (async () => {
    while (running) {
      for (let i = 0; i < RATE / 10; i++) {
        if (counts.sent >= state.length) throw new RangeError(`more sends than the ${state.length} the run was sized for`);
        const seq = counts.sent++;
        producer.send({ topic, key: `k-${seq % 100}`, value: String(seq) }).then(
          () => {
            if ((state[seq] & 2) === 0) unhandled++;
            state[seq] |= 1;
            counts.acked++;
          },
          () => counts.failed++,
        );
      }
      await sleep(100);
    }
  })();

  // Topic checks, retried by the engine through each outage.
  const checking = (async () => {
    while (running) {
      await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 }, { metrics, retry: { timeout: '60s' } }).catch(() => {});
      counts.topicChecks++;
      await sleep(1_000);
    }
  })();

  // The broker: down for half of each cycle.
  const flapping = (async () => {
    while (running && Date.now() + CYCLE_MS < end) {
      await sleep(CYCLE_MS / 2);
      if (!running) break;
      await broker.kill('SIGTERM');
      counts.outages++;
      await sleep(CYCLE_MS / 2);
      await broker.restart();
    }
  })();

  const samples = [];
  const t0 = Date.now();
  const sample = () => {
    global.gc();
    const m = process.memoryUsage();
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      'rss MB': Number(mb(m.rss)),
      'heap MB': Number(mb(m.heapUsed)),
      handles: /** @type {{ _getActiveHandles(): unknown[] }} */ (/** @type {unknown} */ (process))._getActiveHandles().length,
      sent: counts.sent,
      acked: counts.acked,
      failed: counts.failed,
      handled: counts.handled,
      'topic checks': counts.topicChecks,
      outages: counts.outages,
      retries: metrics.snapshot().retries,
    });
    console.error(`  soak: ${JSON.stringify(samples.at(-1))}`);
  };
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
    sample();
  }
  running = false;
  await flapping;
  await producing;
  await checking;
  await producer.close(60_000);
  // Let the consumer catch up with what was acknowledged.
  const deadline = Date.now() + 60_000;
  while (unhandled > 0 && Date.now() < deadline) await sleep(200);
  consumer.stop();
  await consuming;
  await consumer.close();
  sample();
  await broker.stop();

  console.table(samples);
  // Heap and RSS swing with each outage (sends held while the broker is gone: 6-20 MB of heap at
  // 1,000 msg/s), so single samples are not compared. After warm-up (the first quarter; the closing
  // sample left out), the later half against the earlier: the heap's floor (a leak raises what is
  // left between outages; allowed +25 % or +HEAP_SLACK_MB, whichever is more), RSS's and handles'
  // peaks. A run of 3 minutes or more says something; 10 says more.
  const steady = samples.slice(Math.floor((samples.length - 1) / 4), -1);
  const half = Math.floor(steady.length / 2);
  const early = steady.slice(0, half);
  const late = steady.slice(half);
  const peak = (rows, key) => Math.max(...rows.map((r) => r[key]));
  const floor = (rows, key) => Math.min(...rows.map((r) => r[key]));
  const heapFlat = floor(late, 'heap MB') <= Math.max(floor(early, 'heap MB') * (1 + MAX_GROWTH), floor(early, 'heap MB') + HEAP_SLACK_MB);
  const flat =
    early.length > 0 &&
    heapFlat &&
    peak(late, 'rss MB') <= peak(early, 'rss MB') * (1 + MAX_GROWTH) &&
    peak(late, 'handles') - peak(early, 'handles') <= MAX_HANDLE_GROWTH;
  const lost = unhandled;
  const range = (rows) => `${rows[0]?.s}-${rows.at(-1)?.s} s`;
  console.log(
    `after warm-up, ${range(early)} vs ${range(late)}: heap floor ${floor(early, 'heap MB')} -> ${floor(late, 'heap MB')} MB, ` +
      `rss peak ${peak(early, 'rss MB')} -> ${peak(late, 'rss MB')} MB, handles peak ${peak(early, 'handles')} -> ${peak(late, 'handles')}: ` +
      `${flat ? 'flat' : 'NOT flat'} (limits +${MAX_GROWTH * 100}% (heap: or +${HEAP_SLACK_MB} MB), +${MAX_HANDLE_GROWTH} handles)`,
  );
  console.log(
    `${counts.outages} outages; ${counts.acked} of ${counts.sent} sends acknowledged, ${counts.failed} failed; ${lost} acknowledged and never handled`,
  );
  process.exit(flat && lost === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
