#!/usr/bin/env node
// npm run demo [-- --brokers host:port] [-- --messages N]
//
// A consumer waits for a topic that does not exist yet, the topic is created, N messages are
// produced and consumed in parallel; one message fails until it goes through a retry topic (its
// key's later messages wait behind it), one poison message goes to the dead-letter topic; then
// the metrics. With no --brokers and no KAFKA_BROKERS it runs on
// librdkafka's in-process mock cluster, so it needs nothing but `npm install`. Exits 0 only when
// every message came back, exactly once and in key order, and the poison one is dead-lettered.
'use strict';
const { randomUUID } = require('node:crypto');
const { RetryMetrics, implementation } = require('..');
const { createConsumer, createProducer, ensureTopic, loadDriver } = require('../dist/kafka');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const N = Number(arg('messages', '20000'));
/** Fails while read from the source topic: through the retry topic it succeeds. */
const FLAKY = 7;
/** Fails for good (not retriable): dead-lettered. */
const POISON = 42;
const VALUE_BYTES = 256;
const tty = process.stdout.isTTY;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** A progress bar on a terminal; a line every quarter elsewhere (CI logs). */
function progress(label, total) {
  const t0 = performance.now();
  let lastQuarter = -1;
  return (done) => {
    const rate = done / ((performance.now() - t0) / 1000 || 1);
    if (tty) {
      const width = 30;
      const full = Math.round((done / total) * width);
      process.stdout.write(`\r  ${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${fmt(done)}/${fmt(total)}  ${fmt(rate)} msg/s `);
      if (done === total) process.stdout.write('\n');
    } else {
      const quarter = Math.floor((done / total) * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        console.log(`  ${label} ${fmt(done)}/${fmt(total)}  ${fmt(rate)} msg/s`);
      }
    }
  };
}

/** The cluster: the one named, or an embedded mock cluster owned by one client. */
async function cluster(driver) {
  const named = arg('brokers', process.env.KAFKA_BROKERS);
  if (named) return { brokers: named, mock: null, describe: `Kafka at ${named}` };
  const owner = new driver.Producer({ 'test.mock.num.brokers': 1, 'bootstrap.servers': 'mock:0' });
  const md = await new Promise((resolve, reject) => owner.connect({ timeout: 10_000 }, (e, m) => (e ? reject(e) : resolve(m))));
  const brokers = md.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  return { brokers, mock: owner, describe: `librdkafka's in-process mock cluster at ${brokers} (pass --brokers host:port for a real one)` };
}

async function main() {
  if (!(Number.isInteger(N) && N >= 100)) throw new RangeError(`--messages must be an integer >= 100, got ${arg('messages')}`);
  const driver = loadDriver();
  const { brokers, mock, describe } = await cluster(driver);
  const config = { 'bootstrap.servers': brokers };
  const topic = `velo-demo-${randomUUID().slice(0, 8)}`;
  const retryTopic = `${topic}-retry-1000`;
  const deadLetterTopic = `${topic}-dlt`;
  const deadLetters = [];
  const metrics = new RetryMetrics();
  console.log(`velo-retry demo: ${fmt(N)} messages through ${describe}`);
  console.log(`  librdkafka ${driver.librdkafkaVersion}, hot paths: ${implementation}\n`);

  // 1. A consumer that waits for a topic nobody has created yet.
  console.log(`1. consumer waits for topic ${topic}, which does not exist yet`);
  const waitStart = performance.now();
  const consumerReady = createConsumer(
    { ...config, 'group.id': `${topic}-group` },
    {
      topics: [topic],
      fromBeginning: true,
      waitTimeout: '60s',
      metrics,
      name: 'demo',
      // Handler failures: 2 retries in place, then a retry topic 1 s later, then the dead-letter topic.
      retry: { retries: 2, strategy: { kind: 'exponential', initial: '250ms', max: '2s', multiplier: 1.5 } },
      retryTopics: { delays: ['1s'] },
      deadLetter: true,
      createTopics: !mock,
      onDeadLetter: (m, error) => {
        deadLetters.push(Number(m.headers.seq.toString()));
        console.log(
          `   dead-lettered message ${m.headers.seq} (key ${m.key}) to ${deadLetterTopic}: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
      onTopicWait: ({ attempt, delay, elapsed }) =>
        console.log(`   check ${attempt + 1}: missing; next check in ${Math.round(delay)} ms (${secs(elapsed)} waited)`),
    },
  );

  // 2. The topic appears 2.5 s later.
  await new Promise((r) => setTimeout(r, 2_500));
  if (mock) {
    // The mock cluster does not serve CreateTopics; it creates a topic when a client asks for it.
    for (const t of [topic, retryTopic, deadLetterTopic])
      await new Promise((resolve, reject) => mock.getMetadata({ topic: t, timeout: 5_000 }, (e) => (e ? reject(e) : resolve())));
    console.log(`2. created ${topic} (mock cluster: on first request, 4 partitions), and its retry and dead-letter topics`);
  } else {
    await ensureTopic(config, topic, { partitions: 3 }, { metrics });
    console.log(`2. created ${topic} with ensureTopic (3 partitions); the consumer creates its retry and dead-letter topics`);
  }
  const consumer = await consumerReady;
  console.log(`   consumer found it after ${consumer.topicWait.attempts} checks, ${secs(performance.now() - waitStart)} into the wait\n`);

  // 3. Produce N messages.
  console.log(`3. producing ${fmt(N)} messages of ${VALUE_BYTES} bytes`);
  const producer = await createProducer(config, { metrics, retry: { timeout: '60s' } });
  const pad = 'x'.repeat(VALUE_BYTES);
  const bar = progress('produced', N);
  const t0 = performance.now();
  let delivered = 0;
  const sends = [];
  for (let i = 0; i < N; i++) {
    const value = `${String(i).padStart(8, '0')}:${pad}`.slice(0, VALUE_BYTES);
    sends.push(
      producer.send({ topic, key: `customer-${i % 97}`, value, headers: { seq: String(i) } }).then(() => {
        delivered++;
        if (delivered % 500 === 0 || delivered === N) bar(delivered);
      }),
    );
  }
  await Promise.all(sends);
  const produceMs = performance.now() - t0;
  console.log(
    `   ${fmt(N / (produceMs / 1000))} msg/s, ${((N * VALUE_BYTES) / (produceMs / 1000) / 1e6).toFixed(1)} MB/s, all acknowledged in ${secs(produceMs)}\n`,
  );

  // 4. Consume them all, in parallel: one at a time per key, keys side by side, each message
  // ~2 ms of I/O, under the adaptive concurrency limit (printed as it moves).
  console.log(`4. consuming in parallel: per-key order (97 keys), adaptive concurrency, ~2 ms of I/O per message`);
  console.log(`   message ${FLAKY} fails until retried from ${retryTopic}; message ${POISON} is poison`);
  const seen = new Uint8Array(N);
  const lastByKey = new Map();
  let received = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  const c0 = performance.now();
  let shown = '';
  const show = () => {
    const s = consumer.stats;
    const line = `   limit ${s.limit}, in flight ${s.inflight}, buffered ${s.buffered}: ${fmt(received)} of ${fmt(N)}`;
    if (line !== shown) console.log((shown = line));
  };
  const ticker = setInterval(show, 250);
  const deadline = setTimeout(() => consumer.stop(), 60_000);
  const allIn = () => received === N - 1 && deadLetters.length === 1;
  // The keys not held up by the retry: when they are all done, and how many there are.
  const flakyKey = `customer-${FLAKY % 97}`;
  let others = 0;
  for (let i = 0; i < N; i++) if (i % 97 !== FLAKY % 97 && i !== POISON) others++;
  const othersTotal = others;
  let othersMs = 0;
  let flakyRetried = 0;
  await consumer.run(async (m) => {
    const seq = Number(m.headers.seq.toString());
    const key = m.key.toString();
    if ((lastByKey.get(key) ?? -1) > seq) outOfOrder++;
    lastByKey.set(key, seq);
    await new Promise((r) => setTimeout(r, 2));
    if (seq === FLAKY && m.topic === topic) throw new Error('downstream timed out');
    if (seq === FLAKY) console.log(`   message ${FLAKY} handled from ${m.topic}, after its retries in place; key ${key}'s later messages followed it`);
    if (seq === FLAKY) flakyRetried++;
    if (seq === POISON) throw Object.assign(new TypeError(`cannot parse order ${seq}`), { retriable: false });
    if (seen[seq]++) duplicates++;
    else {
      received++;
      if (key !== flakyKey && --others === 0) othersMs = performance.now() - c0;
    }
    if (allIn()) consumer.stop();
  });
  clearInterval(ticker);
  clearTimeout(deadline);
  show();
  const consumeMs = performance.now() - c0;
  console.log(
    `   ${fmt(received)} of ${fmt(N - 1)} back (and 1 dead-lettered), ${duplicates} duplicates, ${outOfOrder} out of key order in ${secs(consumeMs)}; ` +
      `the 96 other keys done in ${secs(othersMs)}, ${fmt(othersTotal / (othersMs / 1000))} msg/s (sequential: ~450)\n`,
  );

  await producer.close();
  await consumer.close();
  mock?.disconnect();

  // 5. What happened.
  const s = metrics.snapshot();
  const counter = (name) => Object.entries(s.counters).reduce((sum, [k, v]) => (k.startsWith(`${name}{`) ? sum + v : sum), 0);
  console.log('5. metrics');
  console.table({
    attempts: s.attempts,
    successes: s.successes,
    failures: s.failures,
    retries: s.retries,
    'TopicMissing errors': s.errors.TopicMissing,
    'success rate %': Number(s.successRate.toFixed(2)),
    'mean attempts per success': Number(s.meanAttemptsPerSuccess.toFixed(3)),
    'latency p50 ms': s.latency.p50,
    'latency p99 ms': s.latency.p99,
    'latency max ms': s.latency.max,
    'sent to a retry topic': counter('consumer_retried'),
    'dead-lettered': counter('consumer_dead_lettered'),
    'concurrency limit (last)': consumer.stats.limit,
    'most handled at once': consumer.stats.maxInflight,
  });
  console.log(metrics.toPrometheus());

  const ok = allIn() && deadLetters[0] === POISON && flakyRetried === 1 && duplicates === 0 && outOfOrder === 0;
  console.log(
    ok
      ? `OK: all ${fmt(N - 1)} good messages came back, the poison one is in ${deadLetterTopic}.`
      : `FAILED: ${fmt(received)} of ${fmt(N - 1)} came back, ${duplicates} duplicates, ${outOfOrder} out of order, dead letters ${JSON.stringify(deadLetters)}.`,
  );
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
