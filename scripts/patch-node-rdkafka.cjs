#!/usr/bin/env node
// Makes node-rdkafka send a Buffer header value as its bytes.
//
// node-rdkafka 3.x converts every header value to a JS string and copies it as a C string
// (src/producer.cc): a value stops at its first NUL byte, and a Buffer's bytes are re-encoded as
// UTF-8 text (node-rdkafka issue #1006; PRs #968 and #970 were never merged). Spring's dead-letter
// headers are binary (a 4-byte partition, an 8-byte offset), so they cannot go out as they are.
// This patch makes the producer pass a Buffer header value to librdkafka by pointer and length,
// and a string value with its length (so a NUL inside it survives), then rebuilds only the
// changed object (node-gyp build, not rebuild: librdkafka is not compiled again). It writes a
// marker beside node-rdkafka's package.json that velo-retry/kafka reads to know binary headers
// go out intact. Idempotent; refuses a producer.cc it does not recognize rather than guess.
//
//   node scripts/patch-node-rdkafka.cjs            # this project's node-rdkafka (npm install runs it)
//   npx velo-retry patch-node-rdkafka [dir]        # an application's, on purpose
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MARKER = 'velo-retry-binary-headers.json';
const PATCH_TAG = 'velo-retry: Buffer header values go out as their bytes';

const ORIGINAL = `        Nan::MaybeLocal<v8::String> v8Value = Nan::To<v8::String>(
            Nan::Get(header, v8Key.ToLocalChecked()).ToLocalChecked());

        Nan::Utf8String uKey(v8Key.ToLocalChecked());
        std::string key(*uKey);

        Nan::Utf8String uValue(v8Value.ToLocalChecked());
        std::string value(*uValue);
        headers.push_back(
          RdKafka::Headers::Header(key, value.c_str(), value.size()));`;

const PATCHED = `        v8::Local<v8::Value> rawValue =
            Nan::Get(header, v8Key.ToLocalChecked()).ToLocalChecked();

        Nan::Utf8String uKey(v8Key.ToLocalChecked());
        std::string key(*uKey);

        // ${PATCH_TAG} (node-rdkafka #1006)
        if (node::Buffer::HasInstance(rawValue)) {
          headers.push_back(RdKafka::Headers::Header(key,
            node::Buffer::Data(rawValue), node::Buffer::Length(rawValue)));
        } else {
          Nan::Utf8String uValue(Nan::To<v8::String>(rawValue).ToLocalChecked());
          headers.push_back(
            RdKafka::Headers::Header(key, *uValue, uValue.length()));
        }`;

/** node-rdkafka's folder as `from` resolves it, or undefined when it is not installed. */
function locate(from = process.cwd()) {
  try {
    return path.dirname(require.resolve('node-rdkafka/package.json', { paths: [from] }));
  } catch {
    return undefined;
  }
}

/** Whether the node-rdkafka in `dir` was patched (and rebuilt) by this script. */
function isPatched(dir) {
  return dir !== undefined && fs.existsSync(path.join(dir, MARKER));
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  // npm ships node-gyp beside itself.
  const beside = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(beside)) return beside;
  throw new Error('node-gyp not found: run this from an npm script, or install node-gyp');
}

/** Patches and rebuilds the node-rdkafka in `dir`; returns 'patched' or 'already'. */
function patch(dir) {
  const source = path.join(dir, 'src', 'producer.cc');
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const text = fs.readFileSync(source, 'utf8');
  if (text.includes(PATCH_TAG) && isPatched(dir)) return 'already';
  if (!text.includes(PATCH_TAG)) {
    if (!text.includes(ORIGINAL)) {
      throw new Error(
        `node-rdkafka ${version} at ${dir}: src/producer.cc does not hold the header conversion this patch replaces; it may have been fixed upstream (check that a Buffer header value arrives intact) or changed`,
      );
    }
    fs.writeFileSync(source, text.replace(ORIGINAL, PATCHED));
  }
  const build = spawnSync(process.execPath, [nodeGyp(), 'build'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (build.status !== 0) throw new Error(`rebuilding node-rdkafka failed:\n${build.stdout}\n${build.stderr}`);
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ nodeRdkafka: version, patch: PATCH_TAG }, null, 2) + '\n');
  return 'patched';
}

if (require.main === module) {
  const dir = process.argv[2] ? path.resolve(process.argv[2]) : locate();
  if (dir === undefined) {
    // Nothing to patch: node-rdkafka is an optional peer (install it, then run this again).
    console.log('patch-node-rdkafka: node-rdkafka is not installed here; nothing to do');
    process.exit(0);
  }
  try {
    const t0 = Date.now();
    const outcome = patch(dir);
    console.log(
      `patch-node-rdkafka: ${outcome === 'already' ? 'already patched' : `patched and rebuilt in ${((Date.now() - t0) / 1000).toFixed(1)} s`}: ${dir}`,
    );
  } catch (e) {
    console.error(`patch-node-rdkafka: ${e.message}`);
    process.exit(1);
  }
}

module.exports = { locate, isPatched, patch, MARKER };
