// Metric families: one model behind the Prometheus text (toPrometheus) and the prom-client bridge
// (registerWith), so both always say the same thing. The bridge is duck-typed on prom-client's
// Registry (registerMetric / getSingleMetric / removeSingleMetric; a metric is { name, help, type,
// get() }): it works with the application's own prom-client instance, whatever its version, and
// velo-retry never loads prom-client itself.
import { typeError } from '../validate';
import { seriesKey, type Labels } from './series';

export interface Sample {
  /** The sample's name when it differs from the family's (a summary's `_sum`, `_count`). */
  name?: string;
  labels?: Labels;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  samples: Sample[];
}

/** Prometheus text exposition format 0.0.4. */
export function renderText(families: readonly Family[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${seriesKey(s.name ?? f.name, s.labels ?? {})} ${s.value}\n`;
  }
  return out;
}

/** Labels in name order, as renderText writes them (prom-client keeps the order it is given). */
function sorted(labels: Labels | undefined): Labels {
  if (labels === undefined) return {};
  return Object.fromEntries(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]!]),
  );
}

/** What prom-client's Registry offers that the bridge uses. */
interface PromRegistry {
  registerMetric(metric: PromMetric): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}
interface PromMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): { name: string; help: string; type: string; aggregator: string; values: { value: number; labels: Labels; metricName?: string }[] };
  reset(): void;
}

/**
 * Registers every family `read()` gives on a prom-client Registry, read at each scrape. A family
 * that appears later (a consumer created after) joins at the next scrape. Returns the function
 * that removes them all. A name the registry already holds from elsewhere is refused.
 */
export function registerFamilies(registry: unknown, read: () => Family[], what: string): () => void {
  const r = registry as PromRegistry;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.registerMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function' ||
    typeof r.removeSingleMetric !== 'function'
  ) {
    throw typeError(`${what}.registerWith(registry)`, "a prom-client Registry (require('prom-client').register or new Registry())", registry);
  }
  const ours = new Map<string, PromMetric>();
  let latest = new Map<string, Family>();
  const refresh = (): void => {
    latest = new Map(read().map((f) => [f.name, f]));
    for (const name of latest.keys()) if (!ours.has(name)) add(name);
  };
  const add = (name: string): void => {
    if (r.getSingleMetric(name) !== undefined) throw new RangeError(`velo-retry: ${what}.registerWith: the registry already has a metric named ${name}`);
    // The first family registered reads all of them: prom-client asks its metrics in registration
    // order, so one read per scrape serves the rest.
    const leader = ours.size === 0;
    const metric: PromMetric = {
      name,
      help: latest.get(name)!.help,
      type: latest.get(name)!.type,
      aggregator: 'sum',
      get: () => {
        if (leader) refresh();
        const f = latest.get(name);
        return {
          name,
          help: metric.help,
          type: metric.type,
          aggregator: 'sum',
          values: (f?.samples ?? []).map((s) => ({ value: s.value, labels: sorted(s.labels), ...(s.name === undefined ? {} : { metricName: s.name }) })),
        };
      },
      reset: () => {},
    };
    r.registerMetric(metric);
    ours.set(name, metric);
  };
  refresh();
  return () => {
    for (const [name, metric] of ours) if (r.getSingleMetric(name) === metric) r.removeSingleMetric(name);
    ours.clear();
  };
}
