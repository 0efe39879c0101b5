// How cluster and maintenance answers print: member list and changes,
// endpoint status / health / hashkv, alarms, move-leader and snapshot status,
// each in the formats etcdctl supports for it.

import { Connection, type Wire } from './connection.js';
import { goQuote, hexId, humanizeBytes } from './go-format.js';
import { Lines, type OutputFormat } from './output.js';
import { goJsonString, protoJson, withoutZeros } from './proto-json.js';
import { renderTable } from './table.js';

function fieldsHeader(lines: Lines, header: Wire | null | undefined): void {
  lines.line(`"ClusterID" : ${header?.['cluster_id'] ?? '0'}`);
  lines.line(`"MemberID" : ${header?.['member_id'] ?? '0'}`);
  lines.line(`"Revision" : ${header?.['revision'] ?? '0'}`);
  lines.line(`"RaftTerm" : ${header?.['raft_term'] ?? '0'}`);
}

/** A table in simple format: its rows, comma separated. */
function simpleRows(rows: readonly (readonly string[])[]): Buffer {
  return Buffer.from(rows.map((row) => row.join(', ') + '\n').join(''));
}

function asTable(format: OutputFormat, header: readonly string[], rows: readonly (readonly string[])[]): Buffer {
  return format === 'table' ? Buffer.from(renderTable(header, rows)) : simpleRows(rows);
}

export function showMemberList(format: OutputFormat, response: Wire): Buffer {
  const members: Wire[] = response['members'] ?? [];
  if (format === 'json') return Buffer.from(protoJson('etcdserverpb.MemberListResponse', response) + '\n');
  if (format === 'protobuf') return Connection.serializeResponse('Cluster', 'MemberList', withoutZeros('etcdserverpb.MemberListResponse', response));
  if (format === 'fields') {
    const lines = new Lines();
    fieldsHeader(lines, response['header']);
    for (const member of members) {
      lines.line(`"ID" : ${member['ID']}`);
      lines.line(`"Name" : ${goQuote(String(member['name']))}`);
      for (const url of member['peerURLs'] ?? []) lines.line(`"PeerURL" : ${goQuote(String(url))}`);
      for (const url of member['clientURLs'] ?? []) lines.line(`"ClientURL" : ${goQuote(String(url))}`);
      lines.line(`"IsLearner" : ${member['isLearner'] === true}`);
      lines.line('');
    }
    return lines.toBuffer();
  }
  const rows = members.map((m) => [
    hexId(m['ID']),
    m['name'] === '' ? 'unstarted' : 'started',
    String(m['name']),
    (m['peerURLs'] ?? []).join(','),
    (m['clientURLs'] ?? []).join(','),
    String(m['isLearner'] === true),
  ]);
  return asTable(format, ['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'], rows);
}

export type MemberChange = 'add' | 'remove' | 'update' | 'promote';
const changeMethods: Record<MemberChange, string> = { add: 'MemberAdd', remove: 'MemberRemove', update: 'MemberUpdate', promote: 'MemberPromote' };
const changeWords: Record<MemberChange, string> = { add: 'added to', remove: 'removed from', update: 'updated in', promote: 'promoted in' };

/** fmt's %16x: hexadecimal, padded with spaces. */
const paddedHex = (id: string | bigint): string => hexId(id).padStart(16, ' ');

export function showMemberChange(kind: MemberChange, format: OutputFormat, id: bigint, response: Wire): Buffer {
  const typeName = `etcdserverpb.${changeMethods[kind]}Response`;
  if (format === 'json') return Buffer.from(protoJson(typeName, response) + '\n');
  if (format === 'protobuf') return Connection.serializeResponse('Cluster', changeMethods[kind], withoutZeros(typeName, response));
  const memberId = kind === 'add' ? BigInt(response['member']?.['ID'] ?? '0') : id;
  return Buffer.from(`Member ${paddedHex(memberId)} ${changeWords[kind]} cluster ${paddedHex(response['header']?.['cluster_id'] ?? '0')}\n`);
}

export interface EndpointHealth {
  readonly endpoint: string;
  readonly health: boolean;
  readonly took: string;
  readonly error: string;
}

/** Simple output goes to stderr, as etcdctl writes it. */
export function showHealth(format: OutputFormat, list: readonly EndpointHealth[]): { out: Buffer; err: string } {
  if (format === 'json') {
    const items = list.map((h) => `{"endpoint":${goJsonString(h.endpoint)},"health":${h.health},"took":${goJsonString(h.took)}${h.error === '' ? '' : `,"error":${goJsonString(h.error)}`}}`);
    return { out: Buffer.from(`[${items.join(',')}]\n`), err: '' };
  }
  if (format === 'fields') {
    const lines = new Lines();
    for (const h of list) lines.line(`"Endpoint" : ${goQuote(h.endpoint)}`).line(`"Health" : ${h.health}`).line(`"Took" : ${h.took}`).line(`"Error" : ${h.error}`).line('');
    return { out: lines.toBuffer(), err: '' };
  }
  if (format === 'table') return { out: Buffer.from(renderTable(['endpoint', 'health', 'took', 'error'], list.map((h) => [h.endpoint, String(h.health), h.took, h.error]))), err: '' };
  const err = list
    .map((h) => (h.error === '' ? `${h.endpoint} is healthy: successfully committed proposal: took = ${h.took}\n` : `${h.endpoint} is unhealthy: failed to commit proposal: ${h.error}\n`))
    .join('');
  return { out: Buffer.alloc(0), err };
}

export interface EndpointAnswer {
  readonly endpoint: string;
  readonly response: Wire;
}

export function showStatus(format: OutputFormat, list: readonly EndpointAnswer[]): Buffer {
  if (format === 'json') {
    return Buffer.from(`[${list.map((s) => `{"Endpoint":${goJsonString(s.endpoint)},"Status":${protoJson('etcdserverpb.StatusResponse', s.response)}}`).join(',')}]\n`);
  }
  if (format === 'fields') {
    const lines = new Lines();
    for (const { endpoint, response: r } of list) {
      fieldsHeader(lines, r['header']);
      lines.line(`"Version" : ${goQuote(String(r['version']))}`).line(`"DBSize" : ${r['dbSize']}`).line(`"Leader" : ${r['leader']}`).line(`"IsLearner" : ${r['isLearner'] === true}`);
      lines.line(`"RaftIndex" : ${r['raftIndex']}`).line(`"RaftTerm" : ${r['raftTerm']}`).line(`"RaftAppliedIndex" : ${r['raftAppliedIndex']}`);
      lines.line(`"Errors" : [${(r['errors'] ?? []).join(' ')}]`).line(`"Endpoint" : ${goQuote(endpoint)}`).line('');
    }
    return lines.toBuffer();
  }
  const rows = list.map(({ endpoint, response: r }) => [
    endpoint,
    hexId(r['header']?.['member_id'] ?? '0'),
    String(r['version']),
    humanizeBytes(Number(r['dbSize'] ?? 0)),
    String(BigInt(r['leader'] ?? '0') === BigInt(r['header']?.['member_id'] ?? '0')),
    String(r['isLearner'] === true),
    String(r['raftTerm']),
    String(r['raftIndex']),
    String(r['raftAppliedIndex']),
    (r['errors'] ?? []).join(', '),
  ]);
  return asTable(format, ['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'], rows);
}

export function showHashKv(format: OutputFormat, list: readonly EndpointAnswer[]): Buffer {
  if (format === 'json') {
    return Buffer.from(`[${list.map((h) => `{"Endpoint":${goJsonString(h.endpoint)},"HashKV":${protoJson('etcdserverpb.HashKVResponse', h.response)}}`).join(',')}]\n`);
  }
  if (format === 'fields') {
    const lines = new Lines();
    for (const { endpoint, response } of list) {
      fieldsHeader(lines, response['header']);
      lines.line(`"Endpoint" : ${goQuote(endpoint)}`).line(`"Hash" : ${response['hash']}`).line('');
    }
    return lines.toBuffer();
  }
  return asTable(format, ['endpoint', 'hash'], list.map((h) => [h.endpoint, String(h.response['hash'])]));
}

const alarmNames = ['NONE', 'NOSPACE', 'CORRUPT'];

function alarmNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  const index = ['None', 'Nospace', 'Corrupt'].indexOf(String(value));
  return index < 0 ? 0 : index;
}

export function showAlarms(format: OutputFormat, response: Wire): Buffer {
  if (format === 'json') return Buffer.from(protoJson('etcdserverpb.AlarmResponse', response) + '\n');
  if (format === 'protobuf') return Connection.serializeResponse('Maintenance', 'Alarm', withoutZeros('etcdserverpb.AlarmResponse', response));
  const lines = new Lines();
  const alarms: Wire[] = response['alarms'] ?? [];
  if (format === 'fields') {
    fieldsHeader(lines, response['header']);
    for (const alarm of alarms) lines.line(`"MemberID" : ${alarm['memberID']}`).line(`"AlarmType" : ${alarmNames[alarmNumber(alarm['alarm'])] ?? alarm['alarm']}`).line('');
    return lines.toBuffer();
  }
  // Go's %+v of an AlarmMember: its protobuf compact text, zero fields left out, each field followed by a space.
  for (const alarm of alarms) {
    const member = BigInt(alarm['memberID'] ?? '0') === 0n ? '' : `memberID:${alarm['memberID']} `;
    const type = alarmNumber(alarm['alarm']);
    lines.line(`${member}${type === 0 ? '' : `alarm:${alarmNames[type] ?? type} `}`);
  }
  return lines.toBuffer();
}

export function showMoveLeader(format: OutputFormat, leader: string, target: bigint, response: Wire): Buffer {
  if (format === 'json') return Buffer.from(protoJson('etcdserverpb.MoveLeaderResponse', response) + '\n');
  if (format === 'protobuf') return Connection.serializeResponse('Maintenance', 'MoveLeader', withoutZeros('etcdserverpb.MoveLeaderResponse', response));
  return Buffer.from(`Leadership transferred from ${hexId(leader)} to ${hexId(target)}\n`);
}

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

export function showSnapshotStatus(format: OutputFormat, status: SnapshotStatus): Buffer {
  if (format === 'json') return Buffer.from(`{"hash":${status.hash},"revision":${status.revision},"totalKey":${status.totalKey},"totalSize":${status.totalSize}}\n`);
  if (format === 'fields') return Buffer.from(`"Hash" : ${status.hash}\n"Revision" : ${status.revision}\n"Keys" : ${status.totalKey}\n"Size" : ${status.totalSize}\n`);
  const row = [status.hash.toString(16), String(status.revision), String(status.totalKey), humanizeBytes(status.totalSize)];
  return asTable(format, ['hash', 'revision', 'total keys', 'total size'], [row]);
}
