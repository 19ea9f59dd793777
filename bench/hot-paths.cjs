// Native vs TS twin for every call shape the façade uses, plus the success path of retry().
// Each group's first variant is its baseline; the façade's choice is marked.
'use strict';
const { measure, measureBursts } = require('./harness.cjs');
const dist = require('path').join(__dirname, '..', 'dist');
const { jsDuration } = require(`${dist}/duration/js`);
const { jsBackoff } = require(`${dist}/backoff/js`);
const { jsClassify } = require(`${dist}/classify/js`);
const { nativeClassify } = require(`${dist}/classify/native`);
// The per-call shapes' Rust twins: measured here, never chosen by the façade.
const { referenceDuration, referenceBackoff, referenceClassify } = require('./reference.cjs');
const { JsMetrics } = require(`${dist}/metrics/js`);
const { NativeRingMetrics } = require(`${dist}/metrics/native`);
const { BufferPool, implementation } = require(dist);
const { PerformanceObserver } = require('node:perf_hooks');

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
  const group = (name, unit, variants, chosen, target) => groups.push({ section: 'hot paths', name, unit, variants, chosen, target });

  // parseDuration: a cache hit (few distinct keys) and a miss (every key new, LRU full and evicting)
  const hitKeys = ['42s', '1.5m', '750ms', '3 hours'];
  const missKeys = Array.from({ length: 400_000 }, (_, i) => `${i}.${i % 7}ms`);
  group(
    'parseDuration, cache hit',
    'call',
    {
      js: measure((i) => jsDuration.parse(hitKeys[i & 3])),
      native: measure((i) => referenceDuration.parse(hitKeys[i & 3])),
    },
    'js',
  );
  jsDuration.resetCache(1024);
  referenceDuration.resetCache(1024);
  group(
    'parseDuration, cache miss',
    'call',
    {
      js: measure((i) => jsDuration.parse(missKeys[i]), { iterations: 40_000 }),
      native: measure((i) => referenceDuration.parse(missKeys[i]), { iterations: 40_000 }),
    },
    'js',
  );

  /** @type {(a: number, b: number, c: number) => import('../ts/backoff/twin').FlatStrategy} */
  const exponential = (a, b, c) => ({ kind: 1, a, b, c });
  const x15 = exponential(2000, 120_000, 1.5);
  const x2 = exponential(500, 60_000, 2);
  const x17 = exponential(100, 60_000, 1.7);
  /** @type {[string, import('../ts/backoff/twin').FlatStrategy][]} */
  const strategies = [
    ['x1.5 table', x15],
    ['x2 shift', x2],
    ['x1.7 general', x17],
  ];
  for (const [label, s] of strategies) {
    group(
      `calculateDelay, ${label}`,
      'call',
      {
        js: measure((i) => jsBackoff.delay(s, i & 15), { iterations: 1_000_000 }),
        native: measure((i) => referenceBackoff.delay(s, i & 15), { iterations: 1_000_000 }),
      },
      'js',
    );
  }

  const codes = [-195, 3, -185, 10, 58, -1, 6, -184];
  group(
    'classify one error by code',
    'call',
    {
      js: measure((i) => jsClassify.code(codes[i & 7]), { iterations: 1_000_000 }),
      native: measure((i) => referenceClassify.code(codes[i & 7]), { iterations: 1_000_000 }),
    },
    'js',
  );
  group(
    'classify one error by text',
    'call',
    {
      js: measure((i) => jsClassify.text(MESSAGES[i & 7])),
      native: measure((i) => referenceClassify.text(MESSAGES[i & 7])),
    },
    'js',
  );
  // Flat strings, as messages arrive from librdkafka (a concatenation would make join flatten it).
  const batch = JSON.parse(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => MESSAGES[i & 7] + (i % 3 === 0 ? ` (#${i})` : ''))));
  // The best TS twin for a batch is the per-message one (a batch of one regex exec each).
  group(
    'classify a batch of 10,000 messages',
    'message',
    {
      js: measure(() => jsClassify.texts(batch)[7], { iterations: 30, rounds: 7 }) / batch.length,
      native: measure(() => nativeClassify.texts(batch)[7], { iterations: 30, rounds: 7 }) / batch.length,
    },
    'native',
    { variant: 'native', max: 1 / 3, text: 'native >= 3x the TS twin' },
  );

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
  group(
    'metrics, record one event (saturated)',
    'event',
    {
      'plain TS counter + histogram': measure(plainRecord, { iterations: 1_000_000 }),
      js: measure((i) => jsm.success(1, i & 1023), { iterations: 1_000_000 }),
      native: measure((i) => nm.success(1, i & 1023), { iterations: 1_000_000 }),
    },
    'native',
  );
  group(
    'metrics, record one event (bursts)',
    'event',
    {
      'plain TS counter + histogram': await measureBursts(plainRecord),
      js: await measureBursts((i) => jsm.success(1, i & 1023)),
      native: await measureBursts((i) => nm.success(1, i & 1023)),
    },
    'native',
    { variant: 'native', max: 2, text: 'native <= 2x a plain TS counter' },
  );

  const nativePool = new BufferPool({ capacity: 64, bufferSize: 8192, implementation: 'native' });
  const jsPool = new BufferPool({ capacity: 64, bufferSize: 8192, implementation: 'js' });
  group(
    'buffer get + release, 8 KiB',
    'cycle',
    {
      'Buffer.allocUnsafe(8192)': measure(() => Buffer.allocUnsafe(8192).length),
      js: measure(
        () => {
          const b = jsPool.get();
          return jsPool.release(b);
        },
        { iterations: 1_000_000 },
      ),
      native: measure(
        () => {
          const b = nativePool.get();
          return nativePool.release(b);
        },
        { iterations: 1_000_000 },
      ),
    },
    'native',
    { variant: 'native', max: 1 / 10, text: 'native >= 10x faster than allocUnsafe' },
  );
  groups.push(await gcGroup(nativePool));

  return groups;
}

/** GC runs and heap growth over 1,000,000 get+release cycles, against allocUnsafe(8192). */
async function gcGroup(pool) {
  const cycles = 1_000_000;
  const run = async (fn) => {
    await new Promise((r) => setImmediate(r));
    let gcs = 0;
    const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    obs.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage();
    for (let i = 0; i < cycles; i++) fn();
    const after = process.memoryUsage();
    await new Promise((r) => setTimeout(r, 50)); // GC entries are delivered asynchronously
    obs.disconnect();
    return { gcs, heapMB: (after.heapUsed - before.heapUsed) / 1e6, rssMB: (after.rss - before.rss) / 1e6 };
  };
  const alloc = await run(() => Buffer.allocUnsafe(8192).length);
  const pooled = await run(() => pool.release(pool.get()));
  const note = (r) => `heap ${r.heapMB >= 0 ? '+' : ''}${r.heapMB.toFixed(1)} MB, RSS ${r.rssMB >= 0 ? '+' : ''}${r.rssMB.toFixed(1)} MB`;
  return {
    section: 'hot paths',
    name: 'GC runs over 1,000,000 buffer cycles',
    unit: 'run',
    absolute: true,
    variants: { 'Buffer.allocUnsafe(8192)': alloc.gcs, native: pooled.gcs },
    notes: { 'Buffer.allocUnsafe(8192)': note(alloc), native: note(pooled) },
    chosen: 'native',
    target: { variant: 'native', maxValue: 0, text: 'no GC runs (flat heap)' },
  };
}

module.exports = { hotPaths };
