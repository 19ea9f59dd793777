// retry()'s success path against a bare await and the libraries users have today, and each compat
// entry point against the original it replaces (success, and three failures with zero delays).
'use strict';
const { measureAsync } = require('./harness.cjs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const { retry } = require(dist);

async function peers() {
  const pRetry = (await import('p-retry')).default;
  const asyncRetry = require('async-retry');
  const { backOff } = require('exponential-backoff');
  const cockatiel = require('cockatiel');
  const ours = {
    pRetry: require(`${dist}/compat/p-retry-entry.cjs`),
    asyncRetry: require(`${dist}/compat/async-retry`),
    backOff: require(`${dist}/compat/exponential-backoff`).backOff,
  };
  const fn = async () => 1;
  const policy = cockatiel.retry(cockatiel.handleAll, { maxAttempts: 3, backoff: new cockatiel.ConstantBackoff(1) });
  const groups = [];
  groups.push({
    section: 'retry success path',
    name: 'one successful call, awaited in a loop',
    unit: 'call',
    variants: {
      'bare await fn()': await measureAsync(() => fn()),
      'velo-retry retry(fn)': await measureAsync(() => retry(fn)),
      cockatiel: await measureAsync(() => policy.execute(fn)),
      'async-retry': await measureAsync(() => asyncRetry(fn), { iterations: 30_000 }),
      'exponential-backoff': await measureAsync(() => backOff(fn), { iterations: 30_000 }),
      'p-retry': await measureAsync(() => pRetry(fn), { iterations: 20_000 }),
    },
    chosen: 'velo-retry retry(fn)',
    target: { variant: 'velo-retry retry(fn)', max: 1.3, text: 'retry() <= 1.3x bare' },
  });

  const compat = (name, original, mine, iterations) => ({
    section: 'compat vs original',
    name,
    unit: 'call',
    variants: { original: 0, 'velo-retry': 0 },
    run: async () => ({ original: await measureAsync(original, { iterations }), 'velo-retry': await measureAsync(mine, { iterations }) }),
    chosen: 'velo-retry',
    // The target is for the success path; failure paths are reported without one.
    target: name.endsWith(', success') ? { variant: 'velo-retry', max: 1 / 5, text: '<= 1/5 of the original' } : undefined,
  });
  // Three failures, then success, with no waiting: the cost of the machinery itself.
  const threeFailures = () => {
    let n = 0;
    return async () => {
      if (n++ < 3) throw new Error('flaky');
      return 1;
    };
  };
  const rows = [
    compat(
      'p-retry, success',
      () => pRetry(fn),
      () => ours.pRetry(fn),
      20_000,
    ),
    compat(
      'p-retry, 3 failures then success',
      () => pRetry(threeFailures(), { minTimeout: 0 }),
      () => ours.pRetry(threeFailures(), { minTimeout: 0 }),
      5_000,
    ),
    compat(
      'async-retry, success',
      () => asyncRetry(fn),
      () => ours.asyncRetry(fn),
      20_000,
    ),
    // async-retry never waits less than 1 ms (node-retry raises minTimeout to 1): timers dominate both.
    compat(
      'async-retry, 3 failures then success (1 ms waits)',
      () => asyncRetry(threeFailures(), { minTimeout: 1, randomize: false }),
      () => ours.asyncRetry(threeFailures(), { minTimeout: 1, randomize: false }),
      100,
    ),
    compat(
      'exponential-backoff, success',
      () => backOff(fn),
      () => ours.backOff(fn),
      20_000,
    ),
    compat(
      'exponential-backoff, 3 failures then success',
      () => backOff(threeFailures(), { startingDelay: 0 }),
      () => ours.backOff(threeFailures(), { startingDelay: 0 }),
      2_000,
    ),
  ];
  for (const row of rows) {
    row.variants = await row.run();
    delete row.run;
    groups.push(row);
  }
  return groups;
}

module.exports = { peers };
