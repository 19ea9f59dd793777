#!/usr/bin/env node
// npm run pack:all: the root tarball and one tarball per platform package that has a binary, in
// pack/, with their sizes. Platform packages keep the root's version (napi version). The root
// tarball lists every platform package as an optionalDependency, added here at pack time as napi-rs's
// pre-publish step adds them: in the repository's package.json they would name packages that are not
// on the registry yet, and `npm ci` refuses a lockfile that cannot hold them. A target declared in
// package.json without a binary here is listed as not built on this machine.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'pack');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function pack(dir) {
  const [info] = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  return { file: path.join(out, info.filename), size: info.size, unpacked: info.unpackedSize, files: info.files.map((f) => f.path) };
}

/** Runs `f` with package.json listing npm/<platform> packages as optionalDependencies, then restores it. */
function withPlatformDependencies(f) {
  const file = path.join(root, 'package.json');
  const original = fs.readFileSync(file, 'utf8');
  const optionalDependencies = {};
  for (const triple of fs.readdirSync(path.join(root, 'npm')).sort()) {
    const platform = JSON.parse(fs.readFileSync(path.join(root, 'npm', triple, 'package.json'), 'utf8'));
    optionalDependencies[platform.name] = pkg.version;
  }
  fs.writeFileSync(file, JSON.stringify({ ...pkg, optionalDependencies }, null, 2) + '\n');
  try {
    return f();
  } finally {
    fs.writeFileSync(file, original);
  }
}

function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  // Every npm/<platform>/package.json at the root's version.
  execFileSync(path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'napi.cmd' : 'napi'), ['version'], { cwd: root, stdio: 'ignore' });
  const made = [];
  const missing = [];
  for (const triple of fs.readdirSync(path.join(root, 'npm'))) {
    const binary = `${pkg.napi.binaryName}.${triple}.node`;
    const built = path.join(root, binary);
    const dir = path.join(root, 'npm', triple);
    if (!fs.existsSync(built)) {
      missing.push(triple);
      continue;
    }
    fs.copyFileSync(built, path.join(dir, binary));
    made.push(pack(dir));
  }
  const rootPack = withPlatformDependencies(() => pack(root));
  const leaked = rootPack.files.filter((f) => /^(target|crates|ts|__test__|bench|npm)\/|\.node$|\.map$/.test(f));
  if (leaked.length) throw new Error(`the root tarball would ship what users do not need: ${leaked.join(', ')}`);
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const p of [rootPack, ...made]) console.log(`${path.relative(root, p.file)}  ${kb(p.size)} packed, ${kb(p.unpacked)} unpacked, ${p.files.length} files`);
  if (missing.length) console.log(`no binary built on this machine for: ${missing.join(', ')} (each needs a build on its own platform or a cross toolchain)`);
  return { root: rootPack.file, platforms: made.map((p) => p.file) };
}

if (require.main === module) main();
module.exports = { packAll: main };
