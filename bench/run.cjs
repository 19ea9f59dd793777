// npm run bench [-- --json out.json] [-- --markdown out.md] [-- --skip-kafka] [-- --only "hot paths"]
// Native vs TS twins per call shape, retry() against its peers, compat layers against their
// originals, codecs and compression advice, and Kafka producer and consumer throughput; ratios
// measured in one run, on this machine.
'use strict';
const { mkdirSync, writeFileSync } = require('fs');
const os = require('os');
const path = require('path');
const { hotPaths } = require('./hot-paths.cjs');
const { peers } = require('./peers.cjs');
const { rowsOf, print, svg, markdown } = require('./report.cjs');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => (argv.indexOf(`--${name}`) >= 0 ? argv[argv.indexOf(`--${name}`) + 1] : undefined);

(async () => {
  const machine = `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  console.log(`velo-retry bench on ${machine}\n`);
  const only = value('only');
  /** @type {[string, () => Promise<object[]>][]} */
  const sections = [
    ['hot paths', hotPaths],
    ['peers', peers],
    ['toolkit', () => require('./toolkit.cjs').toolkit()],
  ];
  if (!flag('skip-kafka')) {
    sections.push(['kafka', () => require('./kafka.cjs').kafka()]);
    sections.push(['consumer', () => require('./consumer.cjs').consumer()]);
  }
  const groups = [];
  for (const [name, run] of sections) {
    if (only && only !== name) continue;
    console.error(`running: ${name}`);
    groups.push(...(await run()));
  }
  const rows = rowsOf(groups);
  print(rows);
  const date = new Date().toISOString();
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const chart = path.join(dir, `bench-${date.slice(0, 19).replace(/:/g, '-')}.svg`);
  writeFileSync(chart, svg(rows, `velo-retry bench, ${date.slice(0, 10)}: ${machine}`));
  console.log(`chart: ${path.relative(process.cwd(), chart)}`);
  const json = value('json');
  if (json) writeFileSync(json, JSON.stringify({ machine, date, rows }, null, 2));
  const md = value('markdown');
  if (md) writeFileSync(md, markdown(rows));
  const missed = rows.filter((r) => r.met === false && !r.bounded);
  const bounded = rows.filter((r) => r.bounded);
  console.log(missed.length ? `targets missed: ${missed.map((r) => `${r.name} (${r.variant})`).join('; ')}` : 'every target met or bounded');
  // Bounded: the group's ceiling or floor, measured in this run, is itself short of the target.
  if (bounded.length)
    console.log(`targets bounded: ${bounded.map((r) => `${r.name} (${r.variant}; "${r.bounded.variant}" is ${r.bounded.ratio.toFixed(2)}x)`).join('; ')}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
