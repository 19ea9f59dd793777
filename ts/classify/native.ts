// The Rust twin of the one classification shape the façade serves natively: a batch, classified in
// one N-API crossing (crates/core/src/classify via crates/napi). Per-call shapes stay on the TS
// twin (ts/native/load.ts has the table); their Rust reference is bench/reference.cjs.
import { native } from '../native/load';
import { jsClassify } from './js';
import type { ClassifyTwin } from './twin';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;

const SEPARATOR = 0; // NUL: never part of a librdkafka message, and never part of a pattern

export const nativeClassify: Pick<ClassifyTwin, 'texts'> | null = binding && {
  texts(messages) {
    if (messages.length === 0) return new Uint8Array(0);
    // One crossing for the whole batch: join, classify in Rust, one id per segment back.
    const ids = binding.classifyJoined(messages.join('\0'), SEPARATOR);
    // A message that itself contains NUL splits into extra segments: such a batch goes to the TS
    // twin rather than misalign every later result.
    return ids.length === messages.length ? ids : jsClassify.texts(messages);
  },
};
