// The HTTP endpoints etcd serves beside gRPC: /health, /version and
// /metrics. Pure routing over the backend; http-server.ts does the I/O.
// etcd's /health reads a key through the consensus path and reports false
// while any alarm is raised; Trellis does the same.

import type { EtcdBackend } from './backend.js';
import { etcdApiVersion } from './etcd-version.js';
import { renderPrometheus } from '../../server/metrics.js';

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const json = (status: number, value: unknown): HttpAnswer => ({ status, contentType: 'application/json', body: JSON.stringify(value) });

export async function answerHttp(backend: EtcdBackend, method: string, path: string): Promise<HttpAnswer> {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, contentType: 'text/plain', body: `method ${method} not allowed: use GET\n` };
  const route = path.split('?')[0];
  switch (route) {
    case '/health':
      return health(backend);
    case '/version':
      return json(200, { etcdserver: etcdApiVersion, etcdcluster: clusterVersion(etcdApiVersion) });
    case '/metrics':
      return { status: 200, contentType: 'text/plain; version=0.0.4', body: await metricsText(backend) };
    default:
      return { status: 404, contentType: 'text/plain', body: `no such endpoint ${JSON.stringify(route)}: try /health, /version or /metrics\n` };
  }
}

function clusterVersion(version: string): string {
  const [major, minor] = version.split('.');
  return `${major}.${minor}.0`;
}

async function health(backend: EtcdBackend): Promise<HttpAnswer> {
  try {
    const alarms = await backend.alarm('get', 0n, 'none');
    if (alarms.body.length > 0) return json(503, { health: 'false', reason: `alarms raised: ${alarms.body.map((a) => a.alarm.toUpperCase()).join(', ')}` });
    await backend.range({ key: new TextEncoder().encode('health') }, { serializable: false });
    return json(200, { health: 'true' });
  } catch (error) {
    return json(503, { health: 'false', reason: error instanceof Error ? error.message : String(error) });
  }
}

/** A skeleton in Prometheus text format with etcd's metric names where Trellis has the number. */
export async function metricsText(backend: EtcdBackend): Promise<string> {
  const { header, body } = await backend.status();
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number | bigint): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  };
  gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', body.leader === 0n ? 0 : 1);
  gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', body.leader === header.memberId ? 1 : 0);
  gauge('etcd_server_id', 'Server or member ID in hexadecimal format. 1 for current member.', 1);
  gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', body.dbSizeBytes);
  gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.', body.dbSizeInUseBytes);
  gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', header.revision);
  gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', body.raftIndex);
  gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', body.raftAppliedIndex);
  return lines.join('\n') + '\n' + renderPrometheus(backend.metricFamilies?.() ?? []);
}
