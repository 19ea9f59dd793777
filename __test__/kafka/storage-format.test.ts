// The storage tool accepts every id clusterId() draws: real formats with Kafka's own StorageTool,
// among them ids that start with '_' and contain '-' (the characters base64url adds).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { classpath, clusterId, formatStorage } = require('../../scripts/kafka/broker.cjs') as typeof import('../../scripts/kafka/broker.cjs');

it('formats KRaft storage with drawn ids, and refuses a leading "-" as the old ids did', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'velo-retry-format-'));
  try {
    const jvm = ['-Xmx128m', '-cp', classpath()];
    const props = (i: number) => {
      const file = path.join(dir, `server-${i}.properties`);
      fs.writeFileSync(
        file,
        [
          'process.roles=controller',
          'node.id=1',
          'controller.quorum.voters=1@127.0.0.1:1',
          'controller.listener.names=CONTROLLER',
          'listeners=CONTROLLER://127.0.0.1:1',
          `log.dirs=${path.join(dir, `data-${i}`)}`,
          '',
        ].join('\n'),
      );
      return file;
    };
    const ids = [clusterId(), clusterId(() => Buffer.alloc(16, 0xfc)), clusterId(() => Buffer.from('03e0fc0000000000000000000000000f', 'hex'))];
    expect(ids[1]).toMatch(/^_/);
    expect(ids[2]).toMatch(/^.[^-]*-/);
    ids.forEach((id, i) => formatStorage(jvm, id, props(i)));
    for (let i = 0; i < ids.length; i++) expect(fs.readFileSync(path.join(dir, `data-${i}`, 'meta.properties'), 'utf8')).toContain(`cluster.id=${ids[i]}`);
    // What one start in 64 met before: an id read as an option.
    expect(() => formatStorage(jvm, Buffer.alloc(16, 0xf8).toString('base64url'), props(9))).toThrow(/expected one argument/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
