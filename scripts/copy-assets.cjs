#!/usr/bin/env node
// Part of build:ts: copies into dist/ what tsc does not emit, so package.json's exports point only
// into dist/: the generated binding types, and the p-retry entry's CommonJS and ESM shims, which
// sit beside the TypeScript they wrap (ts/compat/).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const copies = [
  ['ts/native/binding.d.ts', 'dist/native/binding.d.ts'],
  ...['p-retry-entry.cjs', 'p-retry-entry.mjs', 'p-retry-entry.d.mts'].map((f) => [`ts/compat/${f}`, `dist/compat/${f}`]),
];
for (const [from, to] of copies) fs.cpSync(path.join(root, from), path.join(root, to));
