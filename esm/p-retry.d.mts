// Types of the ESM entry: default and named exports as p-retry 9 has them.
import { pRetry } from '../dist/compat/p-retry.js';

export { AbortError, makeRetriable, pRetry } from '../dist/compat/p-retry.js';
export type { Options, RetryContext } from '../dist/compat/p-retry.js';
export default pRetry;
