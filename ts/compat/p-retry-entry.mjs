// ESM entry of velo-retry/p-retry (copied beside the compiled p-retry.js by build:ts): the same object require() gives, so there is one instance.
import pRetry from './p-retry-entry.cjs';

export default pRetry;
export const { AbortError, makeRetriable } = pRetry;
export { pRetry };
