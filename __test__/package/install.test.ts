// Installs the packed tarballs into fresh projects the way a user would, with cargo and rustc off
// PATH: the platform package gives the native addon with nothing compiled, and without it the
// package still works on the TS twins and says once why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packAll } = require('../../scripts/pack-all.cjs') as { packAll: () => { root: string; platforms: string[] } };

/** PATH without any directory that holds a Rust toolchain. */
const noRustPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !['cargo', 'rustc'].some((tool) => existsSync(join(dir, tool))))
  .join(delimiter);
const env = { ...process.env, PATH: noRustPath, VELO_RETRY_FORCE_JS: '', VELO_RETRY_NATIVE_PATH: '', npm_config_audit: 'false', npm_config_fund: 'false' };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let tarballs: { root: string; platforms: string[] };
const projects: string[] = [];

function project(...packages: string[]): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'velo-retry-install-'));
  projects.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const r = spawnSync(npm, ['install', '--no-package-lock', ...packages], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`npm install failed:\n${r.stdout}\n${r.stderr}`);
  return { dir, log: r.stdout + r.stderr };
}

function node(dir: string, args: string[]) {
  return spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
}

const CHECK = `
const v = require('velo-retry');
const out = { implementation: v.implementation, parsed: v.parseDuration('1.5m'), delay: v.calculateDelay({ kind: 'exponential', initial: 100, max: 1000, multiplier: 2 }, 3), reason: v.nativeInfo.reason };
v.retry(({ attempt }) => { if (attempt < 2) throw new Error('connection refused'); return attempt; }, { strategy: { kind: 'fixed', interval: 1 } })
  .then(async (attempts) => {
    const esm = await import('velo-retry');
    const pRetry = require('velo-retry/p-retry');
    const kafka = require('velo-retry/kafka');
    const missing = await kafka.createProducer({ 'bootstrap.servers': '127.0.0.1:1' }).then(() => 'connected?', (e) => e.code);
    console.log(JSON.stringify({ ...out, attempts, esm: esm.implementation === v.implementation && esm.RetryError === v.RetryError, pRetry: typeof pRetry, kafkaWithoutDriver: missing }));
  });
`;

beforeAll(() => {
  tarballs = packAll();
  expect(tarballs.platforms.length).toBeGreaterThanOrEqual(1);
}, 120_000);

afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe('the packed root package', () => {
  it('lists every platform package as an optionalDependency at its own version; the repository lists none (npm ci needs a lock that can hold them)', () => {
    const r = spawnSync('tar', ['-xzOf', tarballs.root, 'package/package.json'], { encoding: 'utf8' });
    const packed = JSON.parse(r.stdout) as { version: string; optionalDependencies: Record<string, string> };
    const platforms = readdirSync(join(root, 'npm')).map(
      (t) => (JSON.parse(readFileSync(join(root, 'npm', t, 'package.json'), 'utf8')) as { name: string }).name,
    );
    expect(Object.keys(packed.optionalDependencies).sort()).toEqual(platforms.sort());
    expect(new Set(Object.values(packed.optionalDependencies))).toEqual(new Set([packed.version]));
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).optionalDependencies).toBeUndefined();
  });
});

describe('installing the packed package, with no Rust toolchain on PATH', () => {
  it('root + platform tarball: native addon, nothing compiled, require and import work', () => {
    expect(spawnSync('cargo', ['--version'], { env }).error).toBeDefined(); // really off PATH
    const { dir, log } = project(tarballs.root, ...tarballs.platforms);
    expect(log).not.toMatch(/gyp|cargo|rustc|napi build/i);
    expect(readdirSync(join(dir, 'node_modules'))).not.toContain('node-rdkafka'); // an optional peer
    const r = node(dir, ['-e', CHECK]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      implementation: 'native',
      parsed: 90_000,
      delay: 800,
      reason: null,
      attempts: 2,
      esm: true,
      pRetry: 'function',
      kafkaWithoutDriver: 'ERR_KAFKA_DRIVER_MISSING',
    });
  }, 240_000);

  it('a TypeScript consumer type-checks against the installed types', () => {
    const dir = projects[0]!;
    writeFileSync(
      join(dir, 'consumer.mts'),
      `import { retry, RetryMetrics, type RetryOptions } from 'velo-retry';
import pRetry, { AbortError } from 'velo-retry/p-retry';
import asyncRetry from 'velo-retry/async-retry';
import { backOff } from 'velo-retry/exponential-backoff';
import { createProducer, type OutgoingMessage } from 'velo-retry/kafka';
const o: RetryOptions = { strategy: { kind: 'linear', initial: '1s', increment: 500, max: '10s' }, metrics: new RetryMetrics() };
const a: Promise<number> = retry(() => 1, o);
const b: Promise<string> = pRetry(async (n: number) => String(n), { retries: 2 });
const c: Promise<boolean> = asyncRetry(async (bail, n) => n > 1);
const d: Promise<number> = backOff(async () => 3, { numOfAttempts: 2 });
const m: OutgoingMessage = { topic: 't', value: 'v', headers: { k: 'v' } };
export { a, b, c, d, m, AbortError, createProducer };
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.mts'],
      }),
    );
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('root tarball alone: works on the TS twins and says once, on stderr, why native did not load', () => {
    const { dir } = project(tarballs.root);
    const r = node(dir, ['-e', CHECK]);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ implementation: 'js', parsed: 90_000, delay: 800, attempts: 2, esm: true, kafkaWithoutDriver: 'ERR_KAFKA_DRIVER_MISSING' });
    expect(out.reason).toMatch(
      /no native binding for linux-x64-gnu could be loaded; tried .*velo-retry\.linux-x64-gnu\.node: .*; velo-retry-linux-x64-gnu: Cannot find module/,
    );
    expect(r.stderr.split('VELO_RETRY_NATIVE_UNAVAILABLE').length - 1).toBe(1);
    expect(r.stderr).toContain('using the TypeScript implementation');
  }, 240_000);
});
