// How lease answers print. etcdctl prints its client library's lease
// structs, not the raw messages: in JSON the response header's fields sit at
// the top level beside ID and TTL, and timetolive uses lower-case names.

import { CliError, exitCodes } from './cli-error.js';
import { Connection, type Wire } from './connection.js';
import { goQuote, leaseHex } from './go-format.js';
import { Lines, type OutputFormat } from './output.js';
import { protoJson, withoutZeros } from './proto-json.js';

export type LeaseAnswer = 'grant' | 'keepalive' | 'timetolive' | 'leases';

/** The formats each answer prints in; etcdctl's protobuf printer cannot marshal its own lease structs. */
export const leaseFormats: Record<LeaseAnswer | 'revoke', readonly OutputFormat[]> = {
  grant: ['simple', 'json', 'fields'],
  keepalive: ['simple', 'json', 'fields'],
  timetolive: ['simple', 'json', 'fields'],
  leases: ['simple', 'json', 'fields'],
  revoke: ['simple', 'json', 'fields', 'protobuf'],
};

/** An embedded *ResponseHeader: its non-zero fields inline, nothing at all when absent. */
function headerMembers(header: Wire | null | undefined): string[] {
  if (header === null || header === undefined) return [];
  const inner = protoJson('etcdserverpb.ResponseHeader', header).slice(1, -1);
  return inner === '' ? [] : [inner];
}

function fieldsHeader(lines: Lines, header: Wire | null | undefined): void {
  lines.line(`"ClusterID" : ${header?.['cluster_id'] ?? '0'}`);
  lines.line(`"MemberID" : ${header?.['member_id'] ?? '0'}`);
  lines.line(`"Revision" : ${header?.['revision'] ?? '0'}`);
  lines.line(`"RaftTerm" : ${header?.['raft_term'] ?? '0'}`);
}

function json(members: string[]): Buffer {
  return Buffer.from(`{${members.join(',')}}\n`);
}

const number = (value: unknown): string => BigInt((value as string | undefined) ?? '0').toString();

export function showLease(kind: LeaseAnswer, format: OutputFormat, response: Wire, options: { keys?: boolean } = {}): Buffer {
  if (!leaseFormats[kind].includes(format)) throw new CliError(`${format} not supported as output format`, exitCodes.badFeature);
  const header = response['header'] as Wire | null;
  const id = number(response['ID']);
  const ttl = number(response['TTL']);
  const keys: Buffer[] = response['keys'] ?? [];
  const leases: Wire[] = response['leases'] ?? [];
  if (format === 'json') {
    const base = headerMembers(header);
    if (kind === 'grant') return json([...base, `"ID":${id}`, `"TTL":${ttl}`, `"Error":${JSON.stringify(String(response['error'] ?? ''))}`]);
    if (kind === 'keepalive') return json([...base, `"ID":${id}`, `"TTL":${ttl}`]);
    if (kind === 'timetolive') {
      const keyList = keys.length === 0 ? 'null' : `[${keys.map((k) => `"${Buffer.from(k).toString('base64')}"`).join(',')}]`;
      return json([...base, `"id":${id}`, `"ttl":${ttl}`, `"granted-ttl":${number(response['grantedTTL'])}`, `"keys":${keyList}`]);
    }
    return json([...base, `"leases":[${leases.map((l) => `{"id":${number(l['ID'])}}`).join(',')}]`]);
  }
  const lines = new Lines();
  if (format === 'fields') {
    fieldsHeader(lines, header);
    if (kind === 'leases') for (const lease of leases) lines.line(`"ID" : ${number(lease['ID'])}`);
    else {
      lines.line(`"ID" : ${id}`);
      lines.line(`"TTL" : ${ttl}`);
    }
    if (kind === 'timetolive') {
      lines.line(`"GrantedTTL" : ${number(response['grantedTTL'])}`);
      for (const key of keys) lines.line(`"Key" : ${goQuote(key)}`);
    }
    return lines.toBuffer();
  }
  switch (kind) {
    case 'grant':
      return lines.line(`lease ${leaseHex(id)} granted with TTL(${ttl}s)`).toBuffer();
    case 'keepalive':
      return lines.line(`lease ${leaseHex(id)} keepalived with TTL(${ttl})`).toBuffer();
    case 'leases':
      lines.line(`found ${leases.length} leases`);
      for (const lease of leases) lines.line(leaseHex(number(lease['ID'])));
      return lines.toBuffer();
    case 'timetolive': {
      const granted = number(response['grantedTTL']);
      if (granted === '0' && ttl === '-1') return lines.line(`lease ${leaseHex(id)} already expired`).toBuffer();
      // Go's %v of a []string: [a b c]
      const attached = options.keys === true ? `, attached keys([${keys.map((k) => Buffer.from(k).toString('latin1')).join(' ')}])` : '';
      return Buffer.concat([Buffer.from(`lease ${leaseHex(id)} granted with TTL(${granted}s), remaining(${ttl}s)`, 'utf8'), Buffer.from(attached, 'latin1'), Buffer.from('\n')]);
    }
  }
}

export function showRevoke(format: OutputFormat, id: bigint, response: Wire): Buffer {
  if (format === 'json') return Buffer.from(protoJson('etcdserverpb.LeaseRevokeResponse', response) + '\n');
  if (format === 'protobuf') return Connection.serializeResponse('Lease', 'LeaseRevoke', withoutZeros('etcdserverpb.LeaseRevokeResponse', response));
  const lines = new Lines();
  if (format === 'fields') fieldsHeader(lines, response['header']);
  else lines.line(`lease ${leaseHex(id)} revoked`);
  return lines.toBuffer();
}
