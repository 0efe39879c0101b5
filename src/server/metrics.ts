// Numbers a member exposes at /metrics, in Prometheus's text format, under
// etcd's metric names where etcd has one (so etcd dashboards mostly work).
// Counters and histograms live where the events happen; this module only
// holds them and renders them.

export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  /** Appended to the family's name: a histogram's _bucket, _sum and _count. */
  readonly suffix?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly samples: readonly Sample[];
}

/** A histogram with fixed upper bounds (in the metric's unit), as Prometheus exposes one. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly boundaries: readonly number[]) {
    this.counts = boundaries.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.boundaries.length; i++) if (value <= this.boundaries[i]!) this.counts[i]!++;
  }

  family(name: string, help: string): MetricFamily {
    const samples: Sample[] = this.boundaries.map((bound, i) => ({ suffix: '_bucket', labels: { le: String(bound) }, value: this.counts[i]! }));
    samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: this.count }, { suffix: '_sum', value: this.sum }, { suffix: '_count', value: this.count });
    return { name, help, type: 'histogram', samples };
  }
}

/** etcd's buckets for disk sync durations: 1 ms doubling to about 8 s. */
export const syncDurationBoundariesSeconds: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);

/** Counts by label set, e.g. gRPC calls by method and status code. */
export class LabelledCounter {
  private readonly counts = new Map<string, { labels: Record<string, string>; value: number }>();

  add(labels: Record<string, string>, by = 1): void {
    const key = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
    const entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, { labels, value: by });
    else entry.value += by;
  }

  samples(): Sample[] {
    return [...this.counts.values()].map((entry) => ({ labels: entry.labels, value: entry.value }));
  }
}

const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const rendered = Object.entries(sample.labels ?? {}).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
      lines.push(`${family.name}${sample.suffix ?? ''}${rendered === '' ? '' : `{${rendered}}`} ${sample.value}`);
    }
  }
  return lines.join('\n') + '\n';
}
