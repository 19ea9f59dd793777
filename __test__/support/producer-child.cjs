// A producer in a process of its own, for the test that times its close() and exit, on the built
// package (dist/). It sends without pause until SIGTERM, then calls close(<timeout>). On stdout:
//   acked <n>                          every 1,000 acknowledged
//   closed <ms> <settled> <sent> <e>   close() returned after <ms>; <settled> of <sent> sends settled;
//                                      <e>: the code it rejected with, or none
// argv: brokers topic closeTimeoutMs
'use strict';
const path = require('node:path');
const { createProducer } = require(path.join(__dirname, '..', '..', 'dist', 'kafka'));

const [brokers, topic, closeTimeout] = process.argv.slice(2);
const out = (line) => process.stdout.write(`${line}\n`);

(async () => {
  // A short message timeout would settle everything before close(); the default (300 s) leaves
  // sends unsettled when the broker is gone, which is what close() must bound.
  const p = await createProducer({ 'bootstrap.servers': brokers }, { retry: { retries: 0 } });
  let sent = 0;
  let settled = 0;
  let acked = 0;
  let stopping = false;
  process.once('SIGTERM', async () => {
    stopping = true;
    const t0 = performance.now();
    // With sends undelivered, close() ends with FlushTimeoutError after cleaning up (documented).
    const error = await p.close(Number(closeTimeout)).then(
      () => 'none',
      (e) => e.code,
    );
    // Every send settles when close() returns (acknowledged, or rejected as not sent or unknown).
    await new Promise((r) => setImmediate(r));
    out(`closed ${Math.round(performance.now() - t0)} ${settled} ${sent} ${error}`);
  });
  while (!stopping) {
    for (let i = 0; i < 100; i++) {
      sent++;
      p.send({ topic, key: String(sent % 16), value: String(sent) }).then(
        () => {
          settled++;
          if (++acked % 1000 === 0) out(`acked ${acked}`);
        },
        () => settled++,
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
})().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(2);
});
