// The workloads of issue 7, as load generator arguments. Each runs a warm-up
// (done but not counted) and then a measured window.

export interface Workload {
  readonly name: string;
  readonly title: string;
  /** What an operation is, for the report's unit column. */
  readonly unit: 'puts' | 'reads' | 'ops' | 'events';
  /** Read workloads need every key written first. */
  readonly needsPreload: boolean;
  readonly loadgen: {
    readonly workload: 'put' | 'range-lin' | 'range-ser' | 'mixed' | 'watch';
    readonly inflight: number;
    readonly conns: number;
    readonly watchers?: number;
  };
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'put1', title: 'sequential put (1 in flight)', unit: 'puts', needsPreload: false, loadgen: { workload: 'put', inflight: 1, conns: 1 } },
  { name: 'put64', title: 'put, 64 in flight over 8 connections', unit: 'puts', needsPreload: false, loadgen: { workload: 'put', inflight: 64, conns: 8 } },
  { name: 'put256', title: 'put, 256 in flight over 8 connections', unit: 'puts', needsPreload: false, loadgen: { workload: 'put', inflight: 256, conns: 8 } },
  { name: 'range-lin', title: 'linearizable range of one key, 64 in flight', unit: 'reads', needsPreload: true, loadgen: { workload: 'range-lin', inflight: 64, conns: 8 } },
  { name: 'range-ser', title: 'serializable range of one key, 64 in flight', unit: 'reads', needsPreload: true, loadgen: { workload: 'range-ser', inflight: 64, conns: 8 } },
  { name: 'mixed', title: '90% linearizable range, 10% put, 64 in flight', unit: 'ops', needsPreload: true, loadgen: { workload: 'mixed', inflight: 64, conns: 8 } },
  { name: 'watch', title: 'watch fan-out: 1 writer, 100 watchers (events delivered, delivery latency)', unit: 'events', needsPreload: false, loadgen: { workload: 'watch', inflight: 1, conns: 8, watchers: 100 } },
];

export function workloadByName(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

export interface LoadShape {
  readonly durationS: number;
  readonly warmupS: number;
  readonly keys: number;
  readonly valueBytes: number;
}

/** Arguments for the generator's `-mode run` of one workload against `endpoints`. */
export function loadgenRunArgs(workload: Workload, shape: LoadShape, endpoints: readonly string[], extra: readonly string[] = []): string[] {
  return [
    '-mode', 'run',
    '-workload', workload.loadgen.workload,
    '-endpoints', endpoints.join(','),
    '-inflight', String(workload.loadgen.inflight),
    '-conns', String(workload.loadgen.conns),
    '-watchers', String(workload.loadgen.watchers ?? 1),
    '-duration-s', String(shape.durationS),
    '-warmup-s', String(shape.warmupS),
    '-keys', String(shape.keys),
    '-value-bytes', String(shape.valueBytes),
    ...extra,
  ];
}
