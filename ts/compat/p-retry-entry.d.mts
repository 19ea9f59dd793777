// Types of the ESM entry: default and named exports as p-retry 9 has them.
import { pRetry } from './p-retry.js';

export { AbortError, makeRetriable, pRetry } from './p-retry.js';
export type { Options, RetryContext } from './p-retry.js';
export default pRetry;
