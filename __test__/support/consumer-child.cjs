// A consumer in a process of its own, for tests that kill it or time its exit, on the built package
// (dist/). One line per event on stdout:
//   done <partition> <offset>      a handler finished
//   commit <partition> <offset>    a commit the broker accepted
//   stats <inflight> <buffered>    every 20 ms
//   closed <ms>                    close() resolved after <ms> (with --close-after, or on SIGTERM)
// argv: brokers topic group concurrency delayMs [--close-after N] [--commit-interval ms] [--max-buffered n]
//       [--retry-delays 300,600 --fail-every N]: with retry topics, every Nth message (by offset) fails
//       its first attempt and goes to the first retry topic
'use strict';
const path = require('node:path');
const { createConsumer } = require(path.join(__dirname, '..', '..', 'dist', 'kafka'));

const [brokers, topic, group, concurrency, delay] = process.argv.slice(2);
const flag = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const closeAfter = flag('close-after');
const out = (line) => process.stdout.write(`${line}\n`);

(async () => {
  const delaysFlag = process.argv.indexOf('--retry-delays');
  const failEvery = flag('fail-every');
  const retry =
    delaysFlag > 0
      ? { retryTopics: { delays: process.argv[delaysFlag + 1].split(',').map(Number) }, createTopics: true, deadLetter: true, retry: { retries: 0 } }
      : {};
  const c = await createConsumer(
    // A short session: the group gives a killed child's partitions away within seconds.
    { 'bootstrap.servers': brokers, 'group.id': group, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 },
    {
      topics: [topic],
      fromBeginning: true,
      concurrency: Number(concurrency),
      commitInterval: flag('commit-interval') ?? 1000,
      maxBuffered: flag('max-buffered') ?? 1000,
      ...retry,
    },
  );
  c.client.on('offset.commit', (err, offsets) => {
    if (!err) for (const o of offsets) out(`commit ${o.partition} ${o.offset}`);
  });
  process.once('SIGTERM', () => c.stop()); // stops, drains, commits and closes, then exits 0
  const stats = setInterval(() => out(`stats ${c.stats.inflight} ${c.stats.buffered}`), 20);
  stats.unref();
  let n = 0;
  const ms = Number(delay);
  await c.run(async (m) => {
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (failEvery && m.topic === topic && m.offset % failEvery === 0) throw new Error('first attempt: temporarily unavailable');
    out(`done ${m.partition} ${m.offset} ${m.value.toString().trim()}`);
    if (++n === closeAfter) c.stop();
  });
  const t0 = performance.now();
  await c.close();
  out(`closed ${Math.round(performance.now() - t0)}`);
})().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
