// Whether the driver sends a Buffer header value as its bytes. Unpatched node-rdkafka 3.x does not
// (it copies header values as C strings: cut at the first NUL, Buffers re-encoded as text; issue
// #1006); node-rdkafka patched by velo-retry (scripts/patch-node-rdkafka.cjs, run by this
// project's npm install, or `npx velo-retry patch-node-rdkafka` in an application) does, and so
// does @confluentinc/kafka-javascript. Binary headers (Spring's 4-byte partition and 8-byte offset
// on dead letters) go out as bytes only where this says so; elsewhere as documented text.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Driver } from './driver';

/** The marker scripts/patch-node-rdkafka.cjs writes beside node-rdkafka's package.json. */
const MARKER = 'velo-retry-binary-headers.json';

const known = new WeakMap<object, boolean>();

function isModule(name: string, driver: Driver): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (require(name) === driver) return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // not installed
  }
  return undefined;
}

export function binaryHeadersSupported(driver: Driver): boolean {
  const cached = known.get(driver);
  if (cached !== undefined) return cached;
  const rdkafka = isModule('node-rdkafka', driver);
  const supported = rdkafka !== undefined ? existsSync(join(rdkafka, MARKER)) : isModule('@confluentinc/kafka-javascript', driver) !== undefined;
  known.set(driver, supported);
  return supported;
}
