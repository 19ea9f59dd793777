// A tight-loop timer: tinybench's per-sample timestamps cost ~60 ns here, more than several of the
// operations compared, so each sample is a loop of many calls and the figure is the median over
// rounds.
//
// Every measured function gets a loop of its own, compiled from source for it alone. One shared
// loop calling every variant in turn makes its call site megamorphic after a few variants: calls
// stop being inlined and whichever variant ran first is measured faster (a plain counter update
// measured 6-8 ns first and 16-18 ns after other variants, in one process). The loop also folds
// each result into a sum it returns, so the JIT cannot drop the work.
'use strict';

let loops = 0;

/** A fresh loop around `fn`: `run(iterations)` calls fn(0..iterations-1), or awaits each when `awaiting`. */
function loopOf(fn, awaiting) {
  const call = awaiting ? 'await fn(i)' : 'fn(i)';
  // The comment makes each source unique, so V8's compilation cache cannot hand two variants one function.
  const source = `// loop ${++loops}
    return ${awaiting ? 'async ' : ''}function run(iterations) {
      let sum = 0;
      for (let i = 0; i < iterations; i++) {
        const v = ${call};
        sum = (sum + (typeof v === 'number' ? v : v ? 1 : 0)) | 0;
      }
      return sum;
    };`;
  return new Function('fn', source)(fn);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

let sink = 0;

/** ns per call of fn(i), median of `rounds` rounds of `iterations` calls, after a warm-up round. */
function measure(fn, { iterations = 200_000, rounds = 9 } = {}) {
  const run = loopOf(fn, false);
  const times = [];
  for (let r = -1; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    sink ^= run(iterations);
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    if (r >= 0) times.push(ns);
  }
  return median(times);
}

/** The same for async functions awaited one after another. */
async function measureAsync(fn, { iterations = 100_000, rounds = 7 } = {}) {
  const run = loopOf(fn, true);
  const times = [];
  for (let r = -1; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    sink ^= await run(iterations);
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
  const run = loopOf(fn, false);
  const times = [];
  for (let r = -1; r < rounds; r++) {
    await new Promise((res) => setTimeout(res, pauseMs));
    const t0 = process.hrtime.bigint();
    sink ^= run(burst);
    const ns = Number(process.hrtime.bigint() - t0) / burst;
    if (r >= 0) times.push(ns);
  }
  return median(times);
}

module.exports = { measure, measureAsync, measureBursts, sinkValue: () => sink };
