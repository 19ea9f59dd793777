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
}
export function startBroker(options?: { detached?: boolean; timeoutMs?: number; messageMaxBytes?: number }): Promise<Broker>;
export function stopBroker(broker: { pid: number; dir: string }): Promise<void>;
/** The broker's classpath (Maven resolves the jars into ~/.m2 once). */
export function classpath(): string;
