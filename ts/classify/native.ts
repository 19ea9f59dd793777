// The Rust twin behind the same interface (crates/core/src/classify.rs via crates/napi).
import { native } from '../native/load';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;
import type { ClassifyTwin } from './twin';

const SEPARATOR = 0; // NUL: never part of a librdkafka message, and never part of a pattern

export const nativeClassify: ClassifyTwin | null = binding && {
  code: binding.classifyCode,
  text: binding.classifyText,
  texts(messages) {
    if (messages.length === 0) return new Uint8Array(0);
    // One crossing for the whole batch: join, classify in Rust, one id per segment back.
    const ids = binding.classifyJoined(messages.join('\0'), SEPARATOR);
    // A message that itself contains NUL splits into extra segments: redo that batch one message
    // per call rather than misalign every later result.
    return ids.length === messages.length ? ids : Uint8Array.from(messages, (m) => binding.classifyText(m));
  },
};
