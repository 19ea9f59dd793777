// recommendCompression (ts/kafka/compression.ts; trial in crates/core/src/compress.rs) without a
// broker: three kinds of payload, the codecs the linked librdkafka has, the TS estimate, bad input.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProducer, loadDriver, recommendCompression, type CompressionAdvice } from '../../ts/kafka';
import { native } from '../../ts/native/load';

const json = Array.from({ length: 2_000 }, (_, i) =>
  JSON.stringify({
    id: `evt-${i}`,
    user: { id: i % 50, name: `user ${i % 50}` },
    amount: (i % 997) + 0.25,
    status: i % 3 ? 'settled' : 'pending',
    tags: ['a', 'b'],
  }),
);
const random = Array.from({ length: 64 }, () => randomBytes(1_024));
const logs = Array.from(
  { length: 2_000 },
  (_, i) => `2026-12-02T13:${String(i % 60).padStart(2, '0')}:00Z INFO [worker-${i % 4}] request handled path=/api/orders status=200 took=${i % 40}ms`,
);
const driver = loadDriver();
const features = driver.features!;
const linked = ['gzip', 'snappy', 'lz4', 'zstd'].filter((c) => features.includes(c));
const ratioOf = (a: CompressionAdvice, codec: string) => a.codecs.find((c) => c.codec === codec)!.ratio;

// Skipped (and shown as skipped) only when the TS twins are forced; a missing binary fails.
describe.skipIf(process.env.VELO_RETRY_FORCE_JS === '1')('trial compression (native)', () => {
  it('the native binding is loaded', () => {
    expect(native).not.toBeNull();
  });
  it('JSON events: every linked codec shrinks them; latency picks the fastest round trip, bandwidth the fewest bytes', () => {
    const fast = recommendCompression(json, { goal: 'latency' });
    const dense = recommendCompression(json, { goal: 'bandwidth' });
    console.log(
      `advice, JSON: ${JSON.stringify(fast.codecs.map((c) => [c.codec, +c.ratio.toFixed(2), Math.round(c.compressMBps!), Math.round(c.decompressMBps!)]))}; latency -> ${fast.recommendation}, bandwidth -> ${dense.recommendation}`,
    );
    expect(fast.method).toBe('trial');
    expect(fast.codecs.map((c) => c.codec)).toEqual(linked);
    for (const c of fast.codecs) expect(c.ratio).toBeGreaterThan(2);
    const cost = (c: (typeof fast.codecs)[number]) => 1 / c.compressMBps! + 1 / c.decompressMBps!;
    expect(cost(fast.codecs.find((c) => c.codec === fast.recommendation)!)).toBe(Math.min(...fast.codecs.map(cost)));
    const best = Math.max(...dense.codecs.map((c) => c.ratio));
    expect(ratioOf(dense, dense.recommendation)).toBeGreaterThanOrEqual(best / 1.03);
    expect(fast.reason).toMatch(/fastest round trip/);
    expect(fast).toMatchObject({ samples: json.length, bytes: json.reduce((n, s) => n + Buffer.byteLength(s), 0) });
  });

  it('random bytes: none, and it says why', () => {
    const a = recommendCompression(random);
    expect(a.recommendation).toBe('none');
    expect(a.reason).toMatch(/incompressible/);
    for (const c of a.codecs) expect(c.ratio).toBeLessThan(1.05);
  });

  it('repetitive logs compress further than JSON events with every codec', () => {
    const a = recommendCompression(logs, { goal: 'bandwidth' });
    const j = recommendCompression(json, { goal: 'bandwidth' });
    for (const c of linked) expect(ratioOf(a, c)).toBeGreaterThan(ratioOf(j, c) * 0.8);
    expect(a.recommendation).not.toBe('none');
  });

  it('only the codecs the librdkafka has: the others are skipped, with the reason', () => {
    const a = recommendCompression(json);
    expect(a.skipped.map((s) => s.codec)).toEqual(['gzip', 'snappy', 'lz4', 'zstd'].filter((c) => !features.includes(c)));
    for (const s of a.skipped) expect(s.why).toMatch(/not in this librdkafka/);
    const narrow = { ...driver, features: ['gzip', 'ssl'] };
    const only = recommendCompression(json, { driver: narrow, goal: 'latency' });
    expect(only.codecs.map((c) => c.codec)).toEqual(['gzip']);
    expect(only.recommendation).toBe('gzip');
    expect(only.skipped.map((s) => s.codec)).toEqual(['snappy', 'lz4', 'zstd']);
  });

  it('small batches (one 100-byte event each) compress worse than 64 KiB ones', () => {
    const one = recommendCompression(json, { batchBytes: 100 });
    const many = recommendCompression(json);
    for (const c of linked) expect(ratioOf(one, c)).toBeLessThan(ratioOf(many, c));
  });
});

describe('the TS estimate (implementation: js)', () => {
  it('says it is an estimate, gives no speeds, and still tells text from noise', () => {
    const text = recommendCompression(json, { implementation: 'js' });
    expect(text.method).toBe('entropy-estimate');
    expect(text.codecs.every((c) => c.compressMBps === null && c.decompressMBps === null)).toBe(true);
    expect(text.recommendation).toBe(linked.includes('lz4') ? 'lz4' : linked[0]);
    expect(text.reason).toMatch(/estimated ratio .* from byte entropy/);
    expect(recommendCompression(random, { implementation: 'js' }).recommendation).toBe('none');
  });
});

describe('bad input, refused', () => {
  it.each([
    [() => recommendCompression('abc' as never), TypeError, /samples must be an array of Buffers or strings/],
    [() => recommendCompression([]), RangeError, /samples must be payloads with at least one byte in all/],
    [() => recommendCompression(['', Buffer.alloc(0)]), RangeError, /at least one byte/],
    [() => recommendCompression([1 as never]), TypeError, /samples\[0\] must be a Buffer, a Uint8Array or a string, got 1 \(number\)/],
    [() => recommendCompression(json, { goal: 'speed' as never }), RangeError, /options.goal must be "latency" or "bandwidth", got "speed"/],
    [() => recommendCompression(json, { batchBytes: 0 }), RangeError, /options.batchBytes must be an integer >= 1/],
  ])('%#', (f, kind, message) => {
    expect(f).toThrow(kind);
    expect(f).toThrow(message);
  });

  it("createProducer: compression 'auto' needs samples; samples need 'auto'", async () => {
    const config = { 'bootstrap.servers': '127.0.0.1:1' };
    await expect(createProducer(config, { compression: 'auto' })).rejects.toThrow(
      /options.samples must be a non-empty array of sampled payloads when options.compression is 'auto', got undefined/,
    );
    await expect(createProducer(config, { compression: 'lz4', samples: ['x'] })).rejects.toThrow(/options.samples must be given only with compression: 'auto'/);
    await expect(createProducer(config, { compression: 'auto', samples: ['x'], compressionGoal: 'cheap' as never })).rejects.toThrow(
      /options.compressionGoal must be "latency" or "bandwidth"/,
    );
  });
});
