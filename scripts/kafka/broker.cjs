#!/usr/bin/env node
// A real Apache Kafka broker on 127.0.0.1 for tests, the demo and the bench: jars from Maven Central
// (cached in ~/.m2, so later starts need no network), a fresh KRaft log dir per start, a combined
// broker+controller on free ports. Ready when the broker logs "Kafka Server started".
//
//   node scripts/kafka/broker.cjs start [--brokers 3]   # detached; prints KAFKA_BROKERS=127.0.0.1:<port>,...
//   node scripts/kafka/broker.cjs stop
//
// As a module: `const b = await startBroker(); ...; await b.stop()` (the child dies with us), or
// `const c = await startCluster({ brokers: 3 })`: a KRaft quorum of 3 combined nodes, each of which
// can be killed and restarted on its own data dir and ports (`c.node(2).kill('SIGKILL')`, `.restart()`).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.join(__dirname, '..', '..');
const STATE = path.join(ROOT, '.kafka', 'state.json');
const READY = 'Kafka Server started';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** The broker's classpath, resolved by Maven into ~/.m2 once and cached beside the pom's hash. */
function classpath() {
  const pom = path.join(__dirname, 'pom.xml');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex').slice(0, 12);
  const cacheFile = path.join(os.homedir(), '.m2', `velo-retry-kafka-classpath-${hash}.txt`);
  if (fs.existsSync(cacheFile)) {
    const cp = fs.readFileSync(cacheFile, 'utf8').trim();
    if (cp.split(path.delimiter).every((jar) => fs.existsSync(jar))) return cp;
  }
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${cacheFile}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`maven could not resolve the Kafka jars (is Maven installed?):\n${r.stdout}\n${r.stderr}`);
  return fs.readFileSync(cacheFile, 'utf8').trim();
}

/**
 * A KRaft cluster id: 16 random bytes in base64url, as Kafka's Uuid prints them. One id in 64 would
 * start with '-', which the storage tool reads as an option ("argument --cluster-id/-t: expected one
 * argument"), so such a draw is drawn again, as Kafka's own Uuid.randomUuid() does.
 */
function clusterId(randomBytes = crypto.randomBytes) {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Formats a KRaft log dir for `props` with `id`; throws with the tool's output when it refuses. */
function formatStorage(jvm, id, props) {
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`kafka storage format failed (cluster id ${id}):\n${format.stdout}\n${format.stderr}`);
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a broker. Options: `detached` (survives this process; CLI use), `timeoutMs` (readiness),
 * `messageMaxBytes` (the broker's message.max.bytes), `inMemory` (its log dir on /dev/shm where
 * there is one, not in the OS's temporary directory: what the benches use, see bench/kafka.cjs).
 */
async function startBroker({ detached = false, timeoutMs = 90_000, messageMaxBytes = 1_048_588, inMemory = false } = {}) {
  const under = inMemory && fs.existsSync('/dev/shm') ? '/dev/shm' : undefined;
  const cluster = await startCluster({ brokers: 1, detached, timeoutMs, messageMaxBytes, under });
  const node = cluster.nodes[0];
  // One node: the node is the broker (its dir, log, pid), and stopping it removes the cluster's dir.
  node.stop = () => cluster.stop();
  return node;
}

/**
 * Starts `brokers` nodes on 127.0.0.1, each a combined broker+controller on free ports with a log
 * dir of its own, voters of one KRaft quorum; internal topics replicated min(3, brokers), their
 * min.insync.replicas min(2, brokers). Resolves once every node is ready. Each node can be killed
 * and restarted on its data dir and ports (`nodes[i].kill(signal)`, `.restart()`).
 */
async function startCluster({ brokers = 1, detached = false, timeoutMs = 90_000, messageMaxBytes = 1_048_588, under = os.tmpdir() } = {}) {
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) throw new RangeError(`brokers must be an integer in 1..9, got ${brokers}`);
  const cp = classpath();
  const dir = fs.mkdtempSync(path.join(under, 'velo-retry-kafka-'));
  const ports = [];
  for (let i = 0; i < brokers; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const replication = Math.min(3, brokers);
  const minIsr = Math.min(2, brokers);
  const id = clusterId();
  const nodes = ports.map(({ port, controllerPort }, i) => {
    const nodeDir = brokers === 1 ? dir : path.join(dir, `node-${i + 1}`);
    fs.mkdirSync(nodeDir, { recursive: true });
    const props = path.join(nodeDir, 'server.properties');
    fs.writeFileSync(
      props,
      [
        'process.roles=broker,controller',
        `node.id=${i + 1}`,
        `controller.quorum.voters=${voters}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${path.join(nodeDir, 'data')}`,
        'num.partitions=1',
        `default.replication.factor=${replication}`,
        `offsets.topic.replication.factor=${replication}`,
        'offsets.topic.num.partitions=4',
        `transaction.state.log.replication.factor=${replication}`,
        `transaction.state.log.min.isr=${minIsr}`,
        `share.coordinator.state.topic.replication.factor=${replication}`,
        `share.coordinator.state.topic.min.isr=${minIsr}`,
        'group.initial.rebalance.delay.ms=0',
        // Topics exist only when created: waiting for a topic is then something to test.
        'auto.create.topics.enable=false',
        `message.max.bytes=${messageMaxBytes}`,
        '',
      ].join('\n'),
    );
    const log4j = path.join(nodeDir, 'log4j2.properties');
    fs.writeFileSync(
      log4j,
      [
        'status = warn',
        'appender.out.type = Console',
        'appender.out.name = OUT',
        'appender.out.layout.type = PatternLayout',
        'appender.out.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = info',
        'rootLogger.appenderRef.out.ref = OUT',
        // The controller and request loggers are loud at info and say nothing tests need.
        'logger.state.name = state.change.logger',
        'logger.state.level = warn',
        '',
      ].join('\n'),
    );
    // Heap bounded so three nodes fit beside the tests on a 2-core, 24 GiB machine.
    const heap = brokers === 1 ? ['-Xms256m', '-Xmx768m'] : ['-Xms192m', '-Xmx512m'];
    const jvm = [...heap, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${nodeDir}`, '-cp', cp];
    formatStorage(jvm, id, props);
    const node = {
      id: i + 1,
      brokers: `127.0.0.1:${port}`,
      port,
      controllerPort,
      pid: 0,
      dir: nodeDir,
      logFile: path.join(nodeDir, 'broker.log'),
      classpath: cp,
    };
    node.logTail = (lines) => tail(node.logFile, lines);
    node.kill = (signal = 'SIGKILL') => killBroker(node, signal);
    node.restart = () => launch(node, jvm, props, { detached, timeoutMs });
    node.start = node.restart;
    return node;
  });
  // Started together: a node is ready only once the quorum has a leader.
  await Promise.all(nodes.map((n) => n.start()));
  return {
    brokers: nodes.map((n) => n.brokers).join(','),
    nodes,
    dir,
    node: (nodeId) => {
      const n = nodes.find((x) => x.id === nodeId);
      if (!n) throw new RangeError(`no node ${nodeId} in this cluster (1..${brokers})`);
      return n;
    },
    stop: async () => {
      for (const n of nodes) await stopBroker({ pid: n.pid, dir: n.dir, keepDir: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the JVM for `broker` (its pid updated) and resolves once it logs READY. */
async function launch(broker, jvm, props, { detached, timeoutMs }) {
  const from = fs.existsSync(broker.logFile) ? fs.statSync(broker.logFile).size : 0;
  const out = fs.openSync(broker.logFile, 'a');
  const child = spawn('java', [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', out, out], detached });
  fs.closeSync(out);
  broker.pid = child.pid;
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const t0 = Date.now();
  // Only this start's lines count: a restart's log already holds an earlier READY.
  const since = () => fs.readFileSync(broker.logFile).subarray(from).toString('utf8');
  while (!since().includes(READY)) {
    if (exited) throw new Error(`kafka exited before it was ready (${JSON.stringify(exited)}); log tail:\n${tail(broker.logFile)}`);
    if (Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`kafka was not ready within ${timeoutMs} ms; log tail:\n${tail(broker.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (detached) child.unref();
}

/** Sends `signal` to the broker and resolves once its process is gone. */
async function killBroker(broker, signal) {
  if (!alive(broker.pid)) return;
  process.kill(broker.pid, signal);
  while (alive(broker.pid)) await new Promise((r) => setTimeout(r, 50));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops cleanly (SIGTERM, then SIGKILL after 20 s) and removes the log dir (unless keepDir). */
async function stopBroker({ pid, dir, keepDir = false }) {
  if (alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const t0 = Date.now();
    while (alive(pid) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
}

async function main(cmd, args) {
  if (cmd === 'start') {
    const i = args.indexOf('--brokers');
    const n = i >= 0 ? Number(args[i + 1]) : 1;
    if (fs.existsSync(STATE)) {
      const s = JSON.parse(fs.readFileSync(STATE, 'utf8'));
      if ((s.pids ?? [s.pid]).some(alive)) return console.log(`already running: KAFKA_BROKERS=${s.brokers} (logs under ${s.dir})`);
    }
    const c = await startCluster({ brokers: n, detached: true });
    fs.mkdirSync(path.dirname(STATE), { recursive: true });
    fs.writeFileSync(STATE, JSON.stringify({ brokers: c.brokers, pids: c.nodes.map((x) => x.pid), dir: c.dir }, null, 2));
    console.log(
      `KAFKA_BROKERS=${c.brokers}\n(${n === 1 ? 'log' : `${n} nodes, logs`}: ${c.nodes.map((x) => x.logFile).join(', ')}; stop with npm run kafka:stop)`,
    );
  } else if (cmd === 'stop') {
    if (!fs.existsSync(STATE)) return console.log('no broker started by kafka:start');
    const s = JSON.parse(fs.readFileSync(STATE, 'utf8'));
    for (const pid of s.pids ?? [s.pid]) await stopBroker({ pid, dir: s.dir, keepDir: true });
    fs.rmSync(s.dir, { recursive: true, force: true });
    fs.rmSync(STATE);
    console.log(`stopped the broker${(s.pids ?? [s.pid]).length > 1 ? 's' : ''} at ${s.brokers}`);
  } else {
    console.error('usage: broker.cjs start [--brokers N] | stop');
    process.exit(2);
  }
}

if (require.main === module) {
  main(process.argv[2], process.argv.slice(3)).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}

module.exports = { startBroker, startCluster, stopBroker, classpath, clusterId, formatStorage };
