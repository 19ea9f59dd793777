// categorizeError / categorizeErrors: the public face of the classification hot path.
import { typeError } from '../validate';
import { CATEGORY_BY_ID, type ErrorCategory } from './categories';
import { jsClassify } from './js';
import { nativeClassify } from './native';

export { ErrorCategory, isRetriable, CATEGORY_BY_ID, CATEGORY_ID } from './categories';

/**
 * Which twin serves which call shape (figures: bench/, README table):
 * - one error: the TS twin. A code is a Map lookup; a message a regex test, which beats an N-API
 *   call plus a UTF-8 copy of the string for messages of librdkafka's length;
 * - a batch: the native twin above BATCH_NATIVE_MIN messages, one crossing for all of them.
 */
const single = jsClassify;
const batch = nativeClassify ?? jsClassify;
const BATCH_NATIVE_MIN = 32;

/** Node system error codes (`error.code` strings) that name the category outright. */
const SYSTEM_CODES: Record<string, ErrorCategory> = {
  ETIMEDOUT: 'Timeout',
  ESOCKETTIMEDOUT: 'Timeout',
  ECONNREFUSED: 'Network',
  ECONNRESET: 'Network',
  ECONNABORTED: 'Network',
  EHOSTUNREACH: 'Network',
  ENETUNREACH: 'Network',
  ENOTFOUND: 'Network',
  EAI_AGAIN: 'Network',
  EPIPE: 'Network',
};

interface ErrorLike {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  name?: unknown;
  category?: unknown;
}

/** The numeric librdkafka code of an error, if it has one that says something. */
function codeCategory(e: ErrorLike): number {
  // node-rdkafka's LibrdKafkaError carries the code in `code` (and `errno`).
  const code = typeof e.code === 'number' ? e.code : typeof e.errno === 'number' ? e.errno : undefined;
  return code === undefined ? -1 : single.code(code);
}

function messageOf(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const m = (error as ErrorLike).message;
    if (typeof m === 'string') return m;
  }
  return undefined;
}

/** Decided without looking at message text, or undefined. */
function structuralCategory(error: unknown): ErrorCategory | undefined {
  if (typeof error !== 'object' || error === null) return typeof error === 'string' ? undefined : 'Unknown';
  const e = error as ErrorLike;
  // A RetryError (or anything velo-retry already classified) keeps its category.
  if (typeof e.category === 'string' && CATEGORY_BY_ID.includes(e.category as ErrorCategory)) {
    return e.category as ErrorCategory;
  }
  const byCode = codeCategory(e);
  if (byCode >= 0) return CATEGORY_BY_ID[byCode];
  if (typeof e.code === 'string' && e.code in SYSTEM_CODES) return SYSTEM_CODES[e.code];
  if (e.name === 'TimeoutError') return 'Timeout';
  return undefined;
}

/**
 * The category of an error: librdkafka code first (node-rdkafka's LibrdKafkaError, or anything with
 * a numeric `code`), then Node system codes (ECONNREFUSED...), then the message text. Strings are
 * classified as messages; anything else is Unknown.
 */
export function categorizeError(error: unknown): ErrorCategory {
  const known = structuralCategory(error);
  if (known !== undefined) return known;
  const message = messageOf(error);
  return message === undefined ? 'Unknown' : CATEGORY_BY_ID[single.text(message)]!;
}

/** Categories for many errors at once; message text goes to Rust in one call when it pays. */
export function categorizeErrors(errors: readonly unknown[]): ErrorCategory[] {
  if (!Array.isArray(errors)) throw typeError('errors', 'an array', errors);
  const out = new Array<ErrorCategory>(errors.length);
  const pending: number[] = [];
  const texts: string[] = [];
  for (let i = 0; i < errors.length; i++) {
    const known = structuralCategory(errors[i]);
    if (known !== undefined) {
      out[i] = known;
      continue;
    }
    const m = messageOf(errors[i]);
    if (m === undefined) out[i] = 'Unknown';
    else {
      pending.push(i);
      texts.push(m);
    }
  }
  const twin = texts.length >= BATCH_NATIVE_MIN ? batch : single;
  const ids = twin.texts(texts);
  for (let k = 0; k < pending.length; k++) out[pending[k]!] = CATEGORY_BY_ID[ids[k]!]!;
  return out;
}

/** Categories for plain messages: the batch shape the bench measures. */
export function categorizeMessages(messages: readonly string[]): ErrorCategory[] {
  if (!Array.isArray(messages)) throw typeError('messages', 'an array of strings', messages);
  for (let i = 0; i < messages.length; i++) {
    if (typeof messages[i] !== 'string') throw typeError(`messages[${i}]`, 'a string', messages[i]);
  }
  const ids = (messages.length >= BATCH_NATIVE_MIN ? batch : single).texts(messages);
  return Array.from(ids, (id) => CATEGORY_BY_ID[id]!);
}
