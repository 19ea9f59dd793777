import { describe, expect, it } from 'vitest';
import { CATEGORY_BY_ID } from '../../ts/classify/categories';
import { jsClassify, PATTERNS } from '../../ts/classify/js';
import { bothTwins } from '../support/twins';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { referenceClassify, referencePatterns } = require('../../bench/reference.cjs') as typeof import('../../bench/reference.cjs');

const name = (id: number) => CATEGORY_BY_ID[id];

// librdkafka's own error strings (rd_kafka_err2str) and a few from clients and brokers.
const TEXTS: [string, string][] = [
  ['Broker: Unknown topic or partition', 'TopicMissing'],
  ['topic does not exist: orders', 'TopicMissing'],
  ['TOPIC NOT FOUND', 'TopicMissing'],
  ['Local: Unknown partition', 'TopicMissing'],
  ['network is unreachable', 'Network'],
  ['Connection refused', 'Network'],
  ['Local: Broker transport failure', 'Network'],
  ['Local: All broker connections are down', 'Network'],
  ['Local: Host resolution failure', 'Network'],
  ['connect ECONNREFUSED 127.0.0.1:9092', 'Network'],
  ['Broker: Leader not available', 'Network'],
  ['Authentication failed', 'Authentication'],
  ['permission denied', 'Authentication'],
  ['Unauthorized', 'Authentication'],
  ['Broker: Topic authorization failed', 'Authentication'],
  ['Local: Authentication failure: SASL handshake failed (start (-4)): SASL(-4): no mechanism available', 'Authentication'],
  ['Broker: Message size too large', 'InvalidRequest'],
  // INVALID_RECORD (87) as node-rdkafka hands a delivery error over: text only. Not the 'broker' of Network.
  ['Broker: Broker failed to validate record', 'InvalidRequest'],
  ['Broker: Corrupt message', 'InvalidRequest'],
  ['Local: Queue full', 'QueueFull'],
  ['Local: Message timed out', 'Timeout'],
  ['connection timed out', 'Timeout'],
  ['Broker: Throttling quota has been exceeded', 'Throttled'],
  ['Configuration property "foo.bar" not supported in this build', 'Configuration'],
  ['Local: Invalid argument or configuration', 'Configuration'],
  ['Unsupported compression codec', 'Configuration'],
  ['something else entirely', 'Unknown'],
  ['', 'Unknown'],
  ['ünïcödé connection ✓', 'Network'],
];

const CODES: [number, string | undefined][] = [
  [-195, 'Network'],
  [-193, 'Network'],
  [-192, 'Timeout'],
  [-188, 'TopicMissing'],
  [-187, 'Network'],
  [-185, 'Timeout'],
  [-184, 'QueueFull'],
  [-169, 'Authentication'],
  [3, 'TopicMissing'],
  [5, 'Network'],
  [6, 'Network'],
  [7, 'Timeout'],
  [10, 'InvalidRequest'],
  [13, 'Network'],
  [19, 'Network'],
  [29, 'Authentication'],
  [58, 'Authentication'],
  [89, 'Throttled'],
  [40, 'Configuration'],
  [-1, undefined],
  [0, undefined],
  [12345, undefined],
  [-100000, undefined],
];

describe.each(bothTwins(jsClassify, referenceClassify))('classify conformance: %s twin', (_n, twin) => {
  it.each(TEXTS)('classifies %j as %s', (text, category) => {
    expect(name(twin.text(text))).toBe(category);
  });

  it.each(CODES)('maps code %d to %s', (code, category) => {
    const id = twin.code(code);
    expect(id === -1 ? undefined : name(id)).toBe(category);
  });

  it('matches every pattern in any ASCII case', () => {
    for (const [p, cat] of PATTERNS) {
      expect(twin.text(`x ${p.toUpperCase()} y`)).toBe(cat);
      expect(twin.text(p)).toBe(cat);
    }
  });

  it('classifies a batch exactly as one by one, including messages that hold NUL', () => {
    const msgs = [...TEXTS.map(([t]) => t), 'nul \0 auth', 'x', ''];
    expect(Array.from(twin.texts(msgs))).toEqual(msgs.map((m) => twin.text(m)));
    expect(Array.from(twin.texts([]))).toEqual([]);
    const big = Array.from({ length: 10_000 }, (_, i) => TEXTS[i % TEXTS.length]![0]);
    expect(Array.from(twin.texts(big))).toEqual(big.map((m) => twin.text(m)));
  });
});

describe('classify twins share one pattern table', () => {
  it.skipIf(process.env.VELO_RETRY_FORCE_JS === '1')('has the same patterns, categories and order in Rust and TS', () => {
    const rust = referencePatterns().map(([p, c]) => `${p}:${c}`);
    const ts = PATTERNS.map(([p, c]) => `${p}:${c}`); // same order: leftmost-first depends on it
    expect(ts).toEqual(rust);
  });
});
