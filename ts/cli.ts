#!/usr/bin/env node
// npx velo-retry <command>: the operator's side of velo-retry/kafka.
//
//   velo-retry redrive --brokers B --from T [--to T] [--where-category C] [--limit N] [--dry-run]
//   velo-retry patch-node-rdkafka [dir]
//
// Exit codes: 0 done, 1 failed, 2 a usage error (a bad or missing flag).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = `usage:
  velo-retry redrive --brokers <host:port,...> --from <dead-letter topic> [--to <topic>] [--where-category <category>] [--limit <n>] [--dry-run]
      Sends dead letters back to their original topic (or --to), without the dead-letter headers,
      in order per partition; commits its progress, so a second run sends nothing again.
  velo-retry patch-node-rdkafka [dir]
      Makes node-rdkafka send Buffer header values as their bytes (node-rdkafka issue #1006).`;

class UsageError extends Error {}

type Flags = Record<string, string | true>;

function parse(args: string[], known: Record<string, 'value' | 'flag'>): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1]! in known)) throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    const name = m[1]!;
    if (known[name] === 'flag') {
      if (m[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const value = m[2] ?? args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    }
  }
  return flags;
}

function progressBar(): (p: { total: number; read: number; sent: number }) => void {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  return ({ total, read, sent }) => {
    if (tty) {
      const width = 30;
      const full = Math.round((read / Math.max(1, total)) * width);
      process.stderr.write(`\r  [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${read}/${total} read, ${sent} sent `);
      if (read === total) process.stderr.write('\n');
    } else {
      const tenth = Math.floor((read / Math.max(1, total)) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`  ${read}/${total} read, ${sent} sent\n`);
      }
    }
  };
}

async function redriveCommand(args: string[]): Promise<void> {
  const f = parse(args, { brokers: 'value', from: 'value', to: 'value', 'where-category': 'value', limit: 'value', 'dry-run': 'flag' });
  if (typeof f.brokers !== 'string') throw new UsageError('--brokers is required');
  if (typeof f.from !== 'string') throw new UsageError('--from is required');
  let limit: number | undefined;
  if (f.limit !== undefined) {
    limit = Number(f.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${JSON.stringify(f.limit)}`);
  }
  const { redrive } = await import('./kafka/redrive');
  const dryRun = f['dry-run'] === true;
  let summary;
  try {
    summary = await redrive(
      { 'bootstrap.servers': f.brokers },
      {
        from: f.from,
        to: typeof f.to === 'string' ? f.to : undefined,
        whereCategory: typeof f['where-category'] === 'string' ? f['where-category'] : undefined,
        limit,
        dryRun,
        onProgress: progressBar(),
      },
    );
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message.replace(/^velo-retry: /, ''));
    throw e;
  }
  const to = Object.entries(summary.byTopic)
    .map(([t, n]) => `${n} to ${t}`)
    .join(', ');
  console.log(
    `${dryRun ? 'dry run: would send' : 'sent'} ${summary.sent} of ${summary.total} dead letters in ${f.from}${to ? ` (${to})` : ''}; ${summary.skipped} passed over${summary.unroutable ? ` (${summary.unroutable} without an original topic)` : ''}`,
  );
}

async function patchCommand(args: string[]): Promise<void> {
  if (args.length > 1 || args[0]?.startsWith('--')) throw new UsageError('patch-node-rdkafka takes at most a directory');
  const script = join(__dirname, '..', 'scripts', 'patch-node-rdkafka.cjs');
  if (!existsSync(script)) throw new Error(`${script} is missing from this install`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { locate, patch } = require(script) as { locate: (from?: string) => string | undefined; patch: (dir: string) => string };
  const dir = args[0] ?? locate();
  if (dir === undefined) throw new UsageError('node-rdkafka is not installed here; pass its directory');
  console.log(`${patch(dir) === 'already' ? 'already patched' : 'patched and rebuilt'}: ${dir}`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === 'redrive') await redriveCommand(args);
    else if (command === 'patch-node-rdkafka') await patchCommand(args);
    else throw new UsageError(command === undefined ? 'a command is required' : `unknown command ${JSON.stringify(command)}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`velo-retry: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`velo-retry: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
