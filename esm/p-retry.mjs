// ESM entry of velo-retry/p-retry: the same object require() gives, so there is one instance.
import pRetry from '../cjs/p-retry.cjs';

export default pRetry;
export const { AbortError, makeRetriable } = pRetry;
export { pRetry };
