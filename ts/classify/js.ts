// TS twin of crates/core/src/classify/: the same code table and the same rule for text. One
// global regex alternates the patterns in the Rust table's order, one capture group per category:
// a JS alternation picks, at the leftmost position where anything matches, the first alternative
// listed, and `exec` resumes after the match, which is exactly aho-corasick's leftmost-first
// search. Of the matches' categories the highest priority wins. (Chosen over one regex per category
// tried in priority order, which was slower on the bench row "classify one error by text".)
import type { ClassifyTwin } from './twin';

const U = 0,
  TOPIC = 1,
  NET = 2,
  AUTH = 3,
  CONF = 4,
  TIME = 5,
  THROTTLE = 6,
  QUEUE = 7,
  INVALID = 8;

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
  [INVALID, ['too large', 'invalid message', 'invalid record', 'failed to validate record', 'corrupt']],
  [TOPIC, ['unknown topic', 'topic does not exist', 'topic not found', 'unknown partition', 'unknown_topic']],
  [QUEUE, ['queue full', 'queue is full']],
  [THROTTLE, ['throttl', 'quota']],
  [TIME, ['timed out', 'timeout', 'etimedout']],
  [
    NET,
    [
      'network',
      'connect',
      'broker',
      'transport',
      'resolve',
      'resolution',
      'socket',
      'econnre',
      'ehostunreach',
      'enotfound',
      'epipe',
      'leader not available',
      'not leader',
      'not enough replicas',
    ],
  ],
];

export const PATTERNS: readonly (readonly [string, number])[] = BY_PRIORITY.flatMap(([cat, ps]) => ps.map((p) => [p, cat] as const));

const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Only ASCII letters fold, as in aho-corasick's ascii_case_insensitive: no `u` flag, no Unicode folding.
const MATCHER = new RegExp(BY_PRIORITY.map(([, ps]) => `(${ps.map(escape).join('|')})`).join('|'), 'gi');
const GROUP_CATEGORY = BY_PRIORITY.map(([cat]) => cat);
/** Category id -> priority, as Category::priority in Rust. */
const PRIORITY = [0, 5, 1, 8, 7, 2, 3, 4, 6];

function text(message: string): number {
  MATCHER.lastIndex = 0;
  let best = U;
  let m: RegExpExecArray | null;
  while ((m = MATCHER.exec(message)) !== null) {
    let g = 1;
    while (m[g] === undefined) g++;
    const cat = GROUP_CATEGORY[g - 1]!;
    if (PRIORITY[cat]! > PRIORITY[best]!) {
      best = cat;
      if (cat === AUTH) break; // nothing outranks it
    }
  }
  return best;
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
