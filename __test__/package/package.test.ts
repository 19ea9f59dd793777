// The built package as users load it: require and import, the native twin in use, the fallback.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, VELO_RETRY_FORCE_JS: '', ...env } });

describe('package entry points', () => {
  it('loads with require, with the native implementation', () => {
    const r = run(['-e', "const v = require('velo-retry'); console.log(v.implementation, v.parseDuration('1.5m'), typeof v.retry)"]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('native 90000 function');
  });

  it('loads with import, sharing one module instance with require', () => {
    const r = run([
      '--input-type=module',
      '-e',
      "import { implementation, RetryError } from 'velo-retry'; import { createRequire } from 'node:module'; const cjs = createRequire(import.meta.url)('velo-retry'); console.log(implementation, RetryError === cjs.RetryError)",
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('native true');
  });

  it('falls back to TS when forced, saying so in nativeInfo and not on stderr', () => {
    const r = run(['-e', "const v = require('velo-retry'); console.log(v.implementation, JSON.stringify(v.nativeInfo.reason))"], { VELO_RETRY_FORCE_JS: '1' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('js "VELO_RETRY_FORCE_JS=1 forces the TS implementation"');
  });

  it('with a binary path that does not load: TS, one warning naming every path tried', () => {
    const r = run(['-e', "const v = require('velo-retry'); require('velo-retry'); console.log(v.implementation, v.nativeInfo.tried.length)"], {
      VELO_RETRY_NATIVE_PATH: '/nonexistent/velo.node',
    });
    expect(r.stdout.trim()).toBe('js 1');
    expect(r.stderr.match(/VELO_RETRY_NATIVE_UNAVAILABLE|using the TypeScript implementation/g)?.length).toBeGreaterThanOrEqual(1);
    expect(r.stderr.split('using the TypeScript implementation').length - 1).toBe(1);
    expect(r.stderr).toContain('/nonexistent/velo.node');
  });

  it('honours an explicit binary path', () => {
    const r = run(['-e', "const v = require('velo-retry'); console.log(v.implementation, v.nativeInfo.loadedFrom)"], {
      VELO_RETRY_NATIVE_PATH: join(root, 'velo-retry.linux-x64-gnu.node'),
    });
    expect(r.stdout.trim()).toBe(`native ${join(root, 'velo-retry.linux-x64-gnu.node')}`);
  });

  it('type-checks ESM and CommonJS TypeScript consumers against the shipped .d.ts', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, '__test__', 'support', 'fixtures', 'ts-consumer')], { cwd: root, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the lockfile', () => {
  it('is in sync with package.json: npm ci accepts a clean copy of both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'velo-retry-lock-'));
    try {
      for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
      const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.stderr.match(/npm error.*/g) ?? []).toEqual([]);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
