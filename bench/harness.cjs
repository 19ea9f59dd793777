// A tight-loop timer: tinybench's per-sample timestamps cost ~60 ns here, more than several of the
// operations compared, so each sample is a loop of many calls and the figure is the median over
// rounds. Results feed a sink so the JIT cannot drop the work.
'use strict';

let sink = 0;
const consume = (v) => {
  sink = (sink + (typeof v === 'number' ? v : v ? 1 : 0)) | 0;
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** ns per call of fn(i), median of `rounds` rounds of `iterations` calls, after a warm-up round. */
function measure(fn, { iterations = 200_000, rounds = 9 } = {}) {
  const times = [];
  for (let r = -1; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) consume(fn(i));
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    if (r >= 0) times.push(ns);
  }
  return median(times);
}

/** The same for async functions awaited one after another. */
async function measureAsync(fn, { iterations = 100_000, rounds = 7 } = {}) {
  const times = [];
  for (let r = -1; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) consume(await fn(i));
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    if (r >= 0) times.push(ns);
  }
  return median(times);
}

/**
 * ns per call in bursts of `burst` calls with `pauseMs` between them: the cost on the calling
 * thread when background work (a Rust aggregator draining a ring) keeps up between bursts.
 */
async function measureBursts(fn, { burst = 8_000, rounds = 25, pauseMs = 30 } = {}) {
  const times = [];
  for (let r = -1; r < rounds; r++) {
    await new Promise((res) => setTimeout(res, pauseMs));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < burst; i++) consume(fn(i));
    const ns = Number(process.hrtime.bigint() - t0) / burst;
    if (r >= 0) times.push(ns);
  }
  return median(times);
}

module.exports = { measure, measureAsync, measureBursts, consume, sinkValue: () => sink };
