// The README's first command: the demo, on librdkafka's mock cluster (no broker needed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('npm run demo brings every message back on the embedded mock cluster, one through a retry topic and the poison one dead-lettered, and exits 0', () => {
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
  expect(r.stdout).toContain('2,999 of 2,999 back (and 1 dead-lettered), 0 duplicates, 0 out of key order');
  expect(r.stdout).toMatch(/message 7 handled from velo-demo-\w+-retry-1000/);
  expect(r.stdout).toMatch(/dead-lettered message 42 \(key customer-42\) to velo-demo-\w+-dlt: cannot parse order 42/);
  // The flaky message and its key's later messages (3,000 / 97 keys: 31 of them) went through the retry topic.
  expect(r.stdout).toMatch(/│ sent to a retry topic\s+│ 31\s+│/);
  expect(r.stdout).toMatch(/│ dead-lettered\s+│ 1\s+│/);
  expect(r.stdout).toMatch(/limit \d+, in flight \d+, buffered \d+: [\d,]+ of 3,000/); // the limit as it adapts
  expect(r.stdout).toContain('velo_retry_errors_total{category="TopicMissing"}');
  expect(r.stdout).toMatch(/OK: all 2,999 good messages came back, the poison one is in velo-demo-\w+-dlt\./);
}, 120_000);
