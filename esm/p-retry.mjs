// ESM entry of velo-retry/p-retry: the same object require() gives, so there is one instance.
import pRetry from '../dist/compat/p-retry.js';

export default pRetry;
export const { AbortError, makeRetriable } = pRetry;
export { pRetry };
