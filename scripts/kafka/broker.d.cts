export interface Broker {
  brokers: string;
  port: number;
  controllerPort: number;
  pid: number;
  dir: string;
  logFile: string;
  classpath: string;
  stop(): Promise<void>;
  logTail(lines?: number): string;
  /** Sends the signal (default SIGKILL) and resolves once the process is gone; its data dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same data dir and ports; resolves once it is ready. */
  restart(): Promise<void>;
}
export interface ClusterNode extends Broker {
  /** Its node.id (1-based), as metadata names partition leaders. */
  id: number;
}
export interface Cluster {
  /** Every node's address, comma-separated (bootstrap.servers). */
  brokers: string;
  nodes: ClusterNode[];
  dir: string;
  /** The node with this node.id. */
  node(id: number): ClusterNode;
  /** Stops every node and removes the cluster's dir. */
  stop(): Promise<void>;
}
export function startCluster(options?: {
  brokers?: number;
  detached?: boolean;
  timeoutMs?: number;
  messageMaxBytes?: number;
  under?: string;
}): Promise<Cluster>;
export function startBroker(options?: { detached?: boolean; timeoutMs?: number; messageMaxBytes?: number; inMemory?: boolean }): Promise<Broker>;
export function stopBroker(broker: { pid: number; dir: string; keepDir?: boolean }): Promise<void>;
/** The broker's classpath (Maven resolves the jars into ~/.m2 once). */
export function classpath(): string;
/** A KRaft cluster id (base64url of 16 random bytes) that never starts with '-'. */
export function clusterId(randomBytes?: (n: number) => Buffer): string;
/** Formats a KRaft log dir; throws with the storage tool's output when it refuses. */
export function formatStorage(jvm: string[], id: string, props: string): void;
