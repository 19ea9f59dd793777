// TS twin of crates/core/src/classify.rs: the same code table and the same rule for text (every
// pattern that occurs counts; the category of highest priority wins). One combined regex answers
// "nothing matches" in a single scan; otherwise one regex per category, tried in priority order.
import type { ClassifyTwin } from './twin';

const U = 0, TOPIC = 1, NET = 2, AUTH = 3, CONF = 4, TIME = 5, THROTTLE = 6, QUEUE = 7, INVALID = 8;

const CODES = new Map<number, number>();
const table: [number, number[]][] = [
  [INVALID, [-199, -198, -162, -161, 2, 4, 10, 18, 42, 87]],
  [NET, [-195, -193, -187, -183, -182, -180, 5, 6, 8, 9, 13, 14, 15, 16, 19, 20, 41, 56]],
  [TIME, [-192, -185, -166, 7]],
  [TOPIC, [-190, -188, 3]],
  [CONF, [-186, -179, -170, -165, -154, 17, 21, 35, 37, 38, 40, 43, 44]],
  [QUEUE, [-184]],
  [AUTH, [-181, -169, 29, 30, 31, 33, 34, 58]],
  [THROTTLE, [89]],
];
for (const [cat, codes] of table) for (const c of codes) CODES.set(c, cat);

/** Same patterns as the Rust PATTERNS table, grouped by category, highest priority first. */
const BY_PRIORITY: [number, string[]][] = [
  [AUTH, ['auth', 'permission', 'sasl', 'ssl handshake', 'access denied', 'credentials']],
  [CONF, ['configuration', 'invalid config', 'invalid argument', 'unsupported', 'not supported', 'invalid replication factor', 'invalid partitions']],
  [INVALID, ['too large', 'invalid message', 'invalid record', 'corrupt']],
  [TOPIC, ['unknown topic', 'topic does not exist', 'topic not found', 'unknown partition', 'unknown_topic']],
  [QUEUE, ['queue full', 'queue is full']],
  [THROTTLE, ['throttl', 'quota']],
  [TIME, ['timed out', 'timeout', 'etimedout']],
  [NET, ['network', 'connect', 'broker', 'transport', 'resolve', 'resolution', 'socket', 'econnre', 'ehostunreach', 'enotfound', 'epipe', 'leader not available', 'not leader', 'not enough replicas']],
];

export const PATTERNS: readonly (readonly [string, number])[] = BY_PRIORITY.flatMap(([cat, ps]) => ps.map((p) => [p, cat] as const));

const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Only ASCII letters fold, as in aho-corasick's ascii_case_insensitive: no `u` flag, no Unicode folding.
const ANY = new RegExp(PATTERNS.map(([p]) => escape(p)).join('|'), 'i');
const ORDERED: [RegExp, number][] = BY_PRIORITY.map(([cat, ps]) => [new RegExp(ps.map(escape).join('|'), 'i'), cat]);

function text(message: string): number {
  if (!ANY.test(message)) return U;
  for (const [re, cat] of ORDERED) if (re.test(message)) return cat;
  return U;
}

export const jsClassify: ClassifyTwin = {
  code: (code) => CODES.get(code) ?? -1,
  text,
  texts(messages) {
    const out = new Uint8Array(messages.length);
    for (let i = 0; i < messages.length; i++) out[i] = text(messages[i]!);
    return out;
  },
};
