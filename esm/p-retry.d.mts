import pRetry from '../dist/compat/p-retry.js';

export { AbortError, makeRetriable, pRetry } from '../dist/compat/p-retry.js';
export type { Options, RetryContext } from '../dist/compat/p-retry.js';
export default pRetry;
