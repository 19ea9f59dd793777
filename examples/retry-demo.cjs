// npm run demo: velo-retry on a flaky operation, with live retries, classification and metrics.
// (The Kafka demo, examples/kafka-demo.cjs, does the same on librdkafka's mock cluster or a real broker.)
const { retry, RetryMetrics, categorizeMessages, implementation, RetryError } = require('..');

async function main() {
  console.log(`velo-retry demo (implementation: ${implementation})\n`);
  const metrics = new RetryMetrics();
  const failures = ['Local: Broker transport failure', 'Broker: Leader not available', 'Local: Message timed out'];
  let ok = 0;
  for (let op = 0; op < 20; op++) {
    let left = op % 4; // ops 0, 4, 8... succeed at once; the others fail 1-3 times first
    await retry(
      async ({ attempt }) => {
        if (left-- > 0) throw new Error(failures[(op + attempt) % failures.length]);
        return op;
      },
      {
        strategy: { kind: 'exponential', initial: 5, max: 40, multiplier: 2 },
        jitter: 'equal',
        metrics,
        onRetry: ({ attempt, delay, category, error }) =>
          console.log(
            `  op ${String(op).padStart(2)}  attempt ${attempt} failed (${category}: ${error instanceof Error ? error.message : String(error)}); next in ${delay.toFixed(1)} ms`,
          ),
      },
    );
    ok++;
  }
  const denied = await retry(() => Promise.reject(new Error('Broker: Topic authorization failed')), { metrics }).catch((e) => e);
  console.log(`\n  a non-retriable error fails fast: ${denied instanceof RetryError ? denied.message : denied}`);

  const batch = Array.from({ length: 10_000 }, (_, i) => failures[i % 3]);
  const t0 = performance.now();
  const categories = categorizeMessages(batch);
  console.log(`  classified ${batch.length} messages in ${(performance.now() - t0).toFixed(2)} ms: ${[...new Set(categories)].join(', ')}`);

  const s = metrics.snapshot();
  console.log('\nMetrics snapshot');
  console.table({
    attempts: s.attempts,
    successes: s.successes,
    failures: s.failures,
    retries: s.retries,
    'success rate %': s.successRate.toFixed(1),
    'mean attempts/success': s.meanAttemptsPerSuccess.toFixed(2),
    'latency p50 ms': s.latency.p50,
    'latency p99 ms': s.latency.p99,
  });
  console.log(metrics.toPrometheus());
  if (ok !== 20 || s.successes !== 20) throw new Error(`expected 20 successes, got ${s.successes}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
