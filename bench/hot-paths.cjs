// Native vs TS twin for every call shape the façade uses, plus the success path of retry().
// Each group's first variant is its baseline; the façade's choice is marked.
'use strict';
const { measure, measureAsync, measureBursts } = require('./harness.cjs');
const dist = require('path').join(__dirname, '..', 'dist');
const { jsDuration } = require(`${dist}/duration/js`);
const { nativeDuration } = require(`${dist}/duration/native`);
const { jsBackoff } = require(`${dist}/backoff/js`);
const { nativeBackoff } = require(`${dist}/backoff/native`);
const { jsClassify } = require(`${dist}/classify/js`);
const { nativeClassify } = require(`${dist}/classify/native`);
const { JsMetrics } = require(`${dist}/metrics/js`);
const { NativeRingMetrics } = require(`${dist}/metrics/native`);
const { retry, BufferPool, implementation } = require(dist);

const MESSAGES = [
  'Local: Broker transport failure',
  'Broker: Unknown topic or partition',
  'Broker: Leader not available',
  'Local: Message timed out',
  'Broker: Topic authorization failed',
  'Local: Queue full',
  'connect ECONNREFUSED 127.0.0.1:9092',
  'Something the patterns do not know about at all',
];

async function hotPaths() {
  if (implementation !== 'native') throw new Error('the native binding did not load: nothing to compare');
  const groups = [];
  const group = (name, unit, variants, chosen) => groups.push({ name, unit, variants, chosen });

  // parseDuration: a cache hit (few distinct keys) and a miss (every key new, LRU full and evicting)
  const hitKeys = ['42s', '1.5m', '750ms', '3 hours'];
  const missKeys = Array.from({ length: 400_000 }, (_, i) => `${i}.${i % 7}ms`);
  group('parseDuration, cache hit', 'call', {
    js: measure((i) => jsDuration.parse(hitKeys[i & 3])),
    native: measure((i) => nativeDuration.parse(hitKeys[i & 3])),
  }, 'js');
  jsDuration.resetCache(1024);
  nativeDuration.resetCache(1024);
  group('parseDuration, cache miss', 'call', {
    js: measure((i) => jsDuration.parse(missKeys[i]), { iterations: 40_000 }),
    native: measure((i) => nativeDuration.parse(missKeys[i + 40_000 * 0]), { iterations: 40_000 }),
  }, 'js');

  const x15 = { kind: 1, a: 2000, b: 120_000, c: 1.5 };
  const x2 = { kind: 1, a: 500, b: 60_000, c: 2 };
  const x17 = { kind: 1, a: 100, b: 60_000, c: 1.7 };
  for (const [label, s] of [['x1.5 table', x15], ['x2 shift', x2], ['x1.7 general', x17]]) {
    group(`calculateDelay, ${label}`, 'call', {
      js: measure((i) => jsBackoff.delay(s, i & 15), { iterations: 1_000_000 }),
      native: measure((i) => nativeBackoff.delay(s, i & 15), { iterations: 1_000_000 }),
    }, 'js');
  }

  const codes = [-195, 3, -185, 10, 58, -1, 6, -184];
  group('classify one error by code', 'call', {
    js: measure((i) => jsClassify.code(codes[i & 7]), { iterations: 1_000_000 }),
    native: measure((i) => nativeClassify.code(codes[i & 7]), { iterations: 1_000_000 }),
  }, 'js');
  group('classify one error by text', 'call', {
    js: measure((i) => jsClassify.text(MESSAGES[i & 7])),
    native: measure((i) => nativeClassify.text(MESSAGES[i & 7])),
  }, 'js');
  // Flat strings, as messages arrive from librdkafka (a concatenation would make join flatten it).
  const batch = JSON.parse(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => MESSAGES[i & 7] + (i % 3 === 0 ? ` (#${i})` : ''))));
  group('classify a batch of 10,000 messages', 'message', {
    js: measure(() => jsClassify.texts(batch)[7], { iterations: 30, rounds: 7 }) / batch.length,
    native: measure(() => nativeClassify.texts(batch)[7], { iterations: 30, rounds: 7 }) / batch.length,
  }, 'native');

  // metrics: one success event. Baseline: a plain counter and a power-of-two histogram bucket.
  // Two shapes: saturated (1M events back to back: the 16k-slot ring fills faster than the
  // aggregator's 20 ms passes, so the recording thread drains it itself), and bursts of 8,000
  // events with pauses (any rate below ~500k events/s per thread): the cost on the recording thread.
  const plain = { n: 0, attempts: 0, buckets: new Float64Array(64) };
  const plainRecord = (i) => {
    plain.n++;
    plain.attempts += 1;
    plain.buckets[31 - Math.clz32(((i & 1023) * 1000) | 1)]++;
    return plain.n;
  };
  const jsm = new JsMetrics();
  const nm = new NativeRingMetrics();
  group('metrics, record one event (saturated)', 'event', {
    'plain TS counter + histogram': measure(plainRecord, { iterations: 1_000_000 }),
    js: measure((i) => jsm.success(1, i & 1023), { iterations: 1_000_000 }),
    native: measure((i) => nm.success(1, i & 1023), { iterations: 1_000_000 }),
  }, 'native');
  group('metrics, record one event (bursts)', 'event', {
    'plain TS counter + histogram': await measureBursts(plainRecord),
    js: await measureBursts((i) => jsm.success(1, i & 1023)),
    native: await measureBursts((i) => nm.success(1, i & 1023)),
  }, 'native');

  const nativePool = new BufferPool({ capacity: 64, bufferSize: 8192, implementation: 'native' });
  const jsPool = new BufferPool({ capacity: 64, bufferSize: 8192, implementation: 'js' });
  group('buffer get + release, 8 KiB', 'cycle', {
    'Buffer.allocUnsafe(8192)': measure(() => Buffer.allocUnsafe(8192).length),
    js: measure(() => {
      const b = jsPool.get();
      return jsPool.release(b);
    }, { iterations: 1_000_000 }),
    native: measure(() => {
      const b = nativePool.get();
      return nativePool.release(b);
    }, { iterations: 1_000_000 }),
  }, 'native');

  const fn = async () => 1;
  const opts = { retries: 3, strategy: { kind: 'exponential', initial: 100, max: 1000, multiplier: 2 } };
  group('retry() success path', 'call', {
    'bare await fn()': await measureAsync(() => fn()),
    'retry(fn)': await measureAsync(() => retry(fn)),
    'retry(fn, options)': await measureAsync(() => retry(fn, opts)),
  }, 'retry(fn)');
  return groups;
}

function printGroups(groups) {
  const rows = [];
  for (const g of groups) {
    const entries = Object.entries(g.variants);
    const base = entries[0][1];
    for (const [variant, ns] of entries) {
      rows.push({
        'call shape': g.name,
        variant: variant + (variant === g.chosen ? '  <- used' : ''),
        [`ns/${'op'}`]: ns < 10 ? ns.toFixed(2) : ns.toFixed(1),
        'x baseline': (ns / base).toFixed(2),
      });
    }
  }
  console.table(rows);
}

module.exports = { hotPaths, printGroups };
