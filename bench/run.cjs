// npm run bench [-- --json out.json]: native vs TS twins per call shape, and retry()'s success path.
'use strict';
const { writeFileSync } = require('fs');
const os = require('os');
const { hotPaths, printGroups } = require('./hot-paths.cjs');

(async () => {
  const machine = `${os.cpus()[0].model}, ${os.cpus().length} cores, node ${process.version}`;
  console.log(`velo-retry bench on ${machine}\n`);
  const groups = await hotPaths();
  printGroups(groups);
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], JSON.stringify({ machine, date: new Date().toISOString(), groups }, null, 2));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
