// Named series beside the retry totals: gauges read when a snapshot is taken (a consumer's
// in-flight count, a limiter's limit) and labelled counters (messages dead-lettered, per topic).
// They live in the thread that registers them, in TS: what they count happens in JS, and a gauge
// is a callback, so there is nothing for the native totals to aggregate.

import type { Family } from './exposition';

export type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly name: string;
  readonly help: string;
  readonly kind: 'gauge' | 'counter';
  readonly labels: Labels;
  read(): number;
}

/** `name{a="x",b="y"}`: the key of a series in a snapshot, and its sample line in Prometheus text. */
export function seriesKey(name: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export class SeriesRegistry {
  private readonly series = new Map<string, Series>();

  /** Registers a gauge; returns the function that removes it. A second registration under the same name and labels replaces the first. */
  gauge(name: string, help: string, labels: Labels, read: () => number): () => void {
    const key = this.add({ name, help, kind: 'gauge', labels, read });
    return () => {
      if (this.series.get(key)?.read === read) this.series.delete(key);
    };
  }

  /** A counter to add to; the same name and labels give the same counter. */
  counter(name: string, help: string, labels: Labels): { add(n?: number): void; readonly value: number } {
    const key = seriesKey(name, labels);
    const existing = this.series.get(key) as (Series & { counter?: { add(n?: number): void; value: number } }) | undefined;
    if (existing?.counter) return existing.counter;
    const counter = {
      value: 0,
      add(n = 1) {
        counter.value += n;
      },
    };
    this.add({ name, help, kind: 'counter', labels, read: () => counter.value, counter } as Series);
    return counter;
  }

  private add(s: Series): string {
    if (!NAME.test(s.name)) throw new RangeError(`velo-retry: series name must be a Prometheus metric name, got ${JSON.stringify(s.name)}`);
    const key = seriesKey(s.name, s.labels);
    this.series.set(key, s);
    return key;
  }

  /** Current values: gauges and counters, each by `name{labels}`. */
  values(): { gauges: Record<string, number>; counters: Record<string, number> } {
    const gauges: Record<string, number> = {};
    const counters: Record<string, number> = {};
    for (const [key, s] of this.series) (s.kind === 'gauge' ? gauges : counters)[key] = s.read();
    return { gauges, counters };
  }

  /** Every series as metric families, one per name, sorted; counters get the `_total` suffix. */
  families(prefix: string): Family[] {
    const byName = new Map<string, Series[]>();
    for (const s of this.series.values()) {
      const list = byName.get(s.name);
      if (list) list.push(s);
      else byName.set(s.name, [s]);
    }
    return [...byName]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, list]) => ({
        name: `${prefix}_${name}${list[0]!.kind === 'counter' ? '_total' : ''}`,
        help: list[0]!.help,
        type: list[0]!.kind,
        samples: list.map((s) => ({ labels: s.labels, value: s.read() })),
      }));
  }

  reset(): void {
    for (const s of this.series.values()) {
      const c = (s as Series & { counter?: { value: number } }).counter;
      if (c) c.value = 0;
    }
  }
}
