// Process-wide metrics: worker threads record into one set of native totals through their own
// shared-memory rings; the main thread's snapshot has the exact sums. (Pure JS would need IPC.)
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { RetryMetrics } from '../../dist';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { RetryMetrics } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist'))});
const m = RetryMetrics.attach(workerData.id);
for (let i = 0; i < workerData.n; i++) {
  if (i % 2 === 0) m.recordSuccess(1 + (i % 3), i % 50);
  else m.recordRetry(i % 4 === 1 ? 'Network' : 'Timeout');
}
parentPort.postMessage('done');
`;

function run(id: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { id, n } });
    w.once('message', () => resolve());
    w.once('error', reject);
  });
}

describe.runIf(process.env.VELO_RETRY_FORCE_JS !== '1')('metrics across worker_threads', () => {
  it('gives exact totals from 4 workers and the main thread', async () => {
    const m = new RetryMetrics();
    expect(m.implementation).toBe('native');
    const id = m.shareId!;
    const N = 200_000;
    const main = (async () => {
      for (let i = 0; i < N; i++) m.recordSuccess(1, 1);
    })();
    await Promise.all([run(id, N), run(id, N), run(id, N), run(id, N), main]);
    const s = m.snapshot();
    const perWorkerSuccesses = N / 2;
    const perWorkerAttempts = Array.from({ length: N / 2 }, (_, k) => 1 + ((2 * k) % 3)).reduce((a, b) => a + b, 0);
    expect(s.successes).toBe(4 * perWorkerSuccesses + N);
    expect(s.attempts).toBe(4 * perWorkerAttempts + N);
    expect(s.retries).toBe(4 * (N / 2));
    expect(s.errors.Network + s.errors.Timeout).toBe(4 * (N / 2));
    expect(s.errors.Network).toBe(4 * (N / 4));
    expect(s.latency.count).toBe(4 * perWorkerSuccesses + N);
  });

  it("refuses an id that names no live metrics with a RangeError naming it (not the binding's raw error)", () => {
    let error: unknown;
    try {
      RetryMetrics.attach(987654321);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({
      code: 'ERR_METRICS_NOT_FOUND',
      message: 'velo-retry: shareId must be the shareId of live RetryMetrics in this process (RetryMetrics.shareId), got 987654321 (number)',
    });
  });
});
