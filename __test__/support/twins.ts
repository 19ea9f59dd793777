// Both implementations of a hot path, for suites that must pass against each. The native twin is
// required: a missing binary fails here instead of silently testing the TS twin alone.
import { native } from '../../ts/native/load';

export function bothTwins<T>(js: T, nativeTwin: T | null): [string, T][] {
  if (process.env.VELO_RETRY_FORCE_JS === '1') return [['js', js]];
  if (!nativeTwin || !native)
    throw new Error('native binding not loaded: run `npm run build:native` (or set VELO_RETRY_FORCE_JS=1 to test the TS twins alone)');
  return [
    ['js', js],
    ['native', nativeTwin],
  ];
}
