// npm run bench [-- --json out.json] [-- --markdown out.md] [-- --skip-kafka] [-- --only "hot paths"]
// Native vs TS twins per call shape, retry() against its peers, compat layers against their
// originals, codecs and compression advice, and Kafka producer and consumer throughput; ratios
// measured in one run, on this machine.
'use strict';
const { spawnSync } = require('child_process');
const { mkdirSync, readFileSync, unlinkSync, writeFileSync } = require('fs');
const os = require('os');
const path = require('path');
const { rowsOf, print, svg, markdown } = require('./report.cjs');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => (argv.indexOf(`--${name}`) >= 0 ? argv[argv.indexOf(`--${name}`) + 1] : undefined);

/** @type {Record<string, () => Promise<object[]>>} each section's groups of rows */
const SECTIONS = {
  'hot paths': () => require('./hot-paths.cjs').hotPaths(),
  peers: () => require('./peers.cjs').peers(),
  toolkit: () => require('./toolkit.cjs').toolkit(),
  kafka: () => require('./kafka.cjs').kafka(),
  consumer: () => require('./consumer.cjs').consumer(),
};

/**
 * A section's groups, measured in a process of its own. Run one after another in one process, a
 * section's figures depended on what ran before it: on 2026-12-06 the floor of a promise per
 * message (pure JS, no Kafka) took 1.10-1.34 us per message in runs of the Kafka section alone and
 * 2.06-2.09 us after the other sections, and the rows bound by JS work (100-byte batching, the
 * consumer's 5 ms handler at 64: 60x sequential alone, 33x after) read "no" with it. A process's
 * history (JIT state, heap shape) is not what a row measures.
 */
function inProcessOfItsOwn(name) {
  const out = path.join(os.tmpdir(), `velo-retry-bench-${process.pid}-${name.replace(/\W/g, '-')}.json`);
  const r = spawnSync(process.execPath, [__filename, '--section', name, '--groups', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench section "${name}" failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
  try {
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    unlinkSync(out);
  }
}

(async () => {
  // A section's process (inProcessOfItsOwn): its groups to a file, nothing printed.
  const section = value('section');
  if (section !== undefined) {
    if (!(section in SECTIONS)) throw new RangeError(`--section: one of ${Object.keys(SECTIONS).join(', ')}, not "${section}"`);
    writeFileSync(value('groups'), JSON.stringify(await SECTIONS[section]()));
    return;
  }
  const machine = `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  console.log(`velo-retry bench on ${machine}\n`);
  const only = value('only');
  if (only !== undefined && !(only in SECTIONS)) throw new RangeError(`--only: one of ${Object.keys(SECTIONS).join(', ')}, not "${only}"`);
  const names = Object.keys(SECTIONS).filter((n) => (only ? n === only : !(flag('skip-kafka') && (n === 'kafka' || n === 'consumer'))));
  const groups = [];
  for (const name of names) {
    console.error(`running: ${name}`);
    groups.push(...inProcessOfItsOwn(name));
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
