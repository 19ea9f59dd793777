// The README's first command: the demo, on librdkafka's mock cluster (no broker needed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('npm run demo brings every message back on the embedded mock cluster, and exits 0', () => {
  const env = { ...process.env };
  delete env.KAFKA_BROKERS;
  const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'examples', 'kafka-demo.cjs'), '--messages', '3000'], {
    encoding: 'utf8',
    env,
    timeout: 90_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/check 1: missing; next check in \d+ ms/);
  expect(r.stdout).toMatch(/created velo-demo-\w+/);
  expect(r.stdout).toContain('3,000 of 3,000 back, 0 duplicates, 0 out of key order');
  expect(r.stdout).toMatch(/limit \d+, in flight \d+, buffered \d+: [\d,]+ of 3,000/); // the limit as it adapts
  expect(r.stdout).toContain('velo_retry_errors_total{category="TopicMissing"}');
  expect(r.stdout).toContain('OK: all 3,000 messages came back.');
}, 120_000);
