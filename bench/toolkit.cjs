// The throughput toolkit without a broker: value codecs (JSON vs msgpackr vs avsc through
// velo-retry's codecs, encode + decode of a typical event) against the performance guide's
// "binary serialization 3-10x faster than JSON", the envelope twins (TS vs Rust, encode and
// decode), and compression advice on three sample sets (each codec's speed and ratio, what the
// advisor picks, the TS estimate beside the trial).
'use strict';
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { measure } = require('./harness.cjs');

const dist = path.join(__dirname, '..', 'dist');

/** A typical event: 10 fields, one nested record, an array. */
const eventOf = (i) => ({
  id: `evt-${i}`,
  type: 'order.settled',
  at: 1_764_680_000_000 + i,
  amount: 12.5 + (i % 100),
  currency: 'EUR',
  ok: i % 7 !== 0,
  user: { id: i % 5_000, name: `user ${i % 5_000}`, country: 'NL' },
  items: ['sku-1', 'sku-22', 'sku-333'],
  source: 'checkout',
  version: 3,
});
const schema = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'at', type: 'long' },
    { name: 'amount', type: 'double' },
    { name: 'currency', type: 'string' },
    { name: 'ok', type: 'boolean' },
    {
      name: 'user',
      type: {
        type: 'record',
        name: 'User',
        fields: [
          { name: 'id', type: 'int' },
          { name: 'name', type: 'string' },
          { name: 'country', type: 'string' },
        ],
      },
    },
    { name: 'items', type: { type: 'array', items: 'string' } },
    { name: 'source', type: 'string' },
    { name: 'version', type: 'int' },
  ],
};

async function toolkit() {
  const { resolveCodec } = require(`${dist}/kafka/codec`);
  const { recommendCompression } = require(`${dist}/kafka`);
  const groups = [];

  // ---- codecs
  const events = Array.from({ length: 1_024 }, (_, i) => eventOf(i));
  const codecs = {
    json: resolveCodec({ serializer: 'json' }),
    'msgpack (msgpackr)': resolveCodec({ serializer: 'msgpack' }),
    'avro (avsc)': resolveCodec({ serializer: 'avro', schema }),
  };
  const encoded = Object.fromEntries(Object.entries(codecs).map(([name, c]) => [name, events.map((e) => c.serialize(e))]));
  const bytes = (name) => Math.round(encoded[name].reduce((n, b) => n + b.length, 0) / events.length);
  const notes = Object.fromEntries(Object.keys(codecs).map((name) => [name, `${bytes(name)} bytes`]));
  const claim = { variant: 'avro (avsc)', max: 1 / 3, text: 'guide: binary 3-10x faster than JSON' };
  groups.push({
    section: 'codecs',
    name: 'encode a typical event (10 fields, nested)',
    unit: 'message',
    variants: Object.fromEntries(Object.entries(codecs).map(([name, c]) => [name, measure((i) => c.serialize(events[i & 1023]).length)])),
    notes,
    target: claim,
  });
  groups.push({
    section: 'codecs',
    name: 'decode it',
    unit: 'message',
    variants: Object.fromEntries(
      Object.entries(codecs).map(([name, c]) => [name, measure((i) => (c.deserialize(encoded[name][i & 1023]).version === 3 ? 1 : 0))]),
    ),
    notes,
    target: claim,
  });

  // ---- envelopes: the TS twin vs the Rust twin, per envelope of 100 x 1 KiB events
  const env = require(`${dist}/envelope`);
  const messages = Array.from({ length: 100 }, (_, i) => ({ key: Buffer.from(`k${i % 20}`), value: Buffer.alloc(1_024, i), headers: [{ trace: `t-${i}` }] }));
  const target = Buffer.alloc(env.encodedSize(messages));
  const columns = env.columnsOf(messages);
  const encodedEnvelope = Buffer.from(target.subarray(0, env.jsEncodeInto(target, 1, 2, 3, columns)));
  const twins = (name, js, rust, chosen) => ({
    section: 'envelopes',
    name,
    unit: 'envelope',
    variants: { 'TS twin': measure(js, { iterations: 20_000 }), ...(env.nativeEnvelope ? { 'native twin': measure(rust, { iterations: 20_000 }) } : {}) },
    chosen,
  });
  groups.push(
    twins(
      'encode 100 x 1 KiB messages into a pooled buffer',
      () => env.jsEncodeInto(target, 1, 2, 3, columns),
      () => env.nativeEnvelope.encodeInto(target, 1, 2, 3, columns),
      'TS twin',
    ),
  );
  groups.push(
    twins(
      'decode it to views (layout + subarrays)',
      () => env.decodeEnvelope(encodedEnvelope, env.jsLayout).messages.length,
      () => env.decodeEnvelope(encodedEnvelope, env.nativeEnvelope.layout).messages.length,
      // The façade's layout for an envelope of 8 or more messages (ts/envelope/index.ts).
      env.nativeEnvelope ? 'native twin' : 'TS twin',
    ),
  );

  // ---- compression advice
  const sets = {
    'JSON events': events.map((e) => JSON.stringify(e)),
    'random bytes': Array.from({ length: 256 }, () => randomBytes(1_024)),
    'repetitive logs': Array.from(
      { length: 4_000 },
      (_, i) => `2026-12-02T13:${String(i % 60).padStart(2, '0')}:00Z INFO [worker-${i % 4}] request handled path=/api/orders status=200 took=${i % 40}ms`,
    ),
  };
  for (const [set, samples] of Object.entries(sets)) {
    const fast = recommendCompression(samples, { goal: 'latency' });
    const dense = recommendCompression(samples, { goal: 'bandwidth' });
    const estimate = recommendCompression(samples, { implementation: 'js' });
    const skipped = fast.skipped.map((s) => s.codec).join(', ');
    groups.push({
      section: 'compression advice',
      name: `${set}: compress, ns per KiB (advisor: latency -> ${fast.recommendation}, bandwidth -> ${dense.recommendation}; TS estimate -> ${estimate.recommendation}, est. ratio ${estimate.codecs[0]?.ratio.toFixed(2)}${skipped ? `; not linked: ${skipped}` : ''})`,
      unit: 'KiB',
      // ns per KiB of input, from MB/s (10^6 bytes per second).
      variants: Object.fromEntries(fast.codecs.map((c) => [c.codec, 1.024e6 / c.compressMBps])),
      notes: Object.fromEntries(fast.codecs.map((c) => [c.codec, `ratio ${c.ratio.toFixed(2)}, decompress ${Math.round(c.decompressMBps)} MB/s`])),
      chosen: fast.recommendation,
    });
  }
  return groups;
}

module.exports = { toolkit };
