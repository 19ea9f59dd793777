#!/usr/bin/env node
// npm run bench:compare -- a.json b.json: per row, the change from run A to run B, against a noise
// band. The band is what this harness measures between two runs of unchanged code on this machine
// (hot paths ~10 %, async and Kafka rows ~20 %); a change inside it is "noise", not a result.
'use strict';
const { readFileSync } = require('node:fs');

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: npm run bench:compare -- baseline.json candidate.json   (from npm run bench -- --json FILE)');
  process.exit(2);
}
const load = (f) => JSON.parse(readFileSync(f, 'utf8'));
const A = load(a);
const B = load(b);
const key = (r) => `${r.section} / ${r.name} / ${r.variant}`;
const before = new Map(A.rows.map((r) => [key(r), r]));
const band = (r) => (r.section === 'hot paths' ? 0.1 : 0.2);

const rows = [];
for (const r of B.rows) {
  const old = before.get(key(r));
  if (!old) {
    rows.push({ row: key(r), before: '', after: r.value.toFixed(2), change: 'new', verdict: '' });
    continue;
  }
  const change = old.value === 0 ? (r.value === 0 ? 0 : Infinity) : r.value / old.value - 1;
  const verdict = Math.abs(change) <= band(r) ? 'noise' : change < 0 ? 'faster' : 'SLOWER';
  rows.push({
    row: key(r),
    before: old.value.toFixed(2),
    after: r.value.toFixed(2),
    change: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`,
    band: `±${band(r) * 100} %`,
    verdict,
  });
}
for (const k of before.keys())
  if (!B.rows.some((r) => key(r) === k)) rows.push({ row: k, before: before.get(k).value.toFixed(2), after: '', change: 'gone', verdict: '' });
console.log(`A: ${A.date} (${A.machine})\nB: ${B.date} (${B.machine})`);
if (A.machine !== B.machine) console.log('warning: different machines; the ratios inside each run compare better than these figures');
console.table(rows);
const slower = rows.filter((r) => r.verdict === 'SLOWER');
console.log(slower.length ? `${slower.length} row(s) slower beyond the noise band` : 'nothing slower beyond the noise band');
