#!/usr/bin/env node
// Part of build:ts. With --clean, before tsc: empties dist/, so a module that was moved or deleted
// in ts/ leaves nothing behind that would still resolve (dist/kafka/consumer.js shadowed
// consumer/index.js once). After tsc: copies into dist/ what tsc does not emit, so package.json's
// exports point only into dist/: the generated binding types, and the p-retry entry's CommonJS and
// ESM shims, which sit beside the TypeScript they wrap (ts/compat/).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (process.argv.includes('--clean')) {
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  process.exit(0);
}
const copies = [
  ['ts/native/binding.d.ts', 'dist/native/binding.d.ts'],
  ...['p-retry-entry.cjs', 'p-retry-entry.mjs', 'p-retry-entry.d.mts'].map((f) => [`ts/compat/${f}`, `dist/compat/${f}`]),
];
for (const [from, to] of copies) fs.cpSync(path.join(root, from), path.join(root, to));
