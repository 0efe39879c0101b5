// How get, put, del, txn and watch answers print in each of etcdctl's
// formats: simple (key and value lines), json (Go's encoding/json of the
// response), fields ("Name" : value lines) and protobuf (the raw message).

import type { Wire } from './connection.js';
import { Connection } from './connection.js';
import { goQuote, hexEscaped } from './go-format.js';
import { Lines, type OutputFormat } from './output.js';
import { protoJson, withoutZeros } from './proto-json.js';

export interface KvDisplayOptions {
  readonly format: OutputFormat;
  readonly hex: boolean;
  /** get --print-value-only */
  readonly valueOnly?: boolean;
}

const emptyBytes = Buffer.alloc(0);

function printKv(lines: Lines, options: KvDisplayOptions, kv: Wire): void {
  const key: Uint8Array = kv['key'] ?? emptyBytes;
  const value: Uint8Array = kv['value'] ?? emptyBytes;
  if (options.valueOnly !== true) lines.line(options.hex ? hexEscaped(key) : key);
  lines.line(options.hex ? hexEscaped(value) : value);
}

function fieldsHeader(lines: Lines, header: Wire | null): void {
  lines.line(`"ClusterID" : ${header?.['cluster_id'] ?? '0'}`);
  lines.line(`"MemberID" : ${header?.['member_id'] ?? '0'}`);
  lines.line(`"Revision" : ${header?.['revision'] ?? '0'}`);
  lines.line(`"RaftTerm" : ${header?.['raft_term'] ?? '0'}`);
}

function fieldsKv(lines: Lines, prefix: string, kv: Wire): void {
  lines.line(`"${prefix}Key" : ${goQuote(kv['key'] ?? emptyBytes)}`);
  lines.line(`"${prefix}CreateRevision" : ${kv['create_revision']}`);
  lines.line(`"${prefix}ModRevision" : ${kv['mod_revision']}`);
  lines.line(`"${prefix}Version" : ${kv['version']}`);
  lines.line(`"${prefix}Value" : ${goQuote(kv['value'] ?? emptyBytes)}`);
  lines.line(`"${prefix}Lease" : ${kv['lease']}`);
}

type Kind = 'get' | 'put' | 'del';
const typeNames: Record<Kind, string> = { get: 'etcdserverpb.RangeResponse', put: 'etcdserverpb.PutResponse', del: 'etcdserverpb.DeleteRangeResponse' };
const methods: Record<Kind | 'txn', string> = { get: 'Range', put: 'Put', del: 'DeleteRange', txn: 'Txn' };

function simple(lines: Lines, kind: Kind, options: KvDisplayOptions, response: Wire): void {
  if (kind === 'put') lines.line('OK');
  if (kind === 'del') lines.line(String(response['deleted']));
  const kvs: Wire[] = kind === 'get' ? response['kvs'] : kind === 'del' ? response['prev_kvs'] : response['prev_kv'] === null ? [] : [response['prev_kv']];
  for (const kv of kvs ?? []) printKv(lines, options, kv);
}

function fields(lines: Lines, kind: Kind, response: Wire): void {
  fieldsHeader(lines, response['header']);
  if (kind === 'get') {
    for (const kv of response['kvs'] ?? []) fieldsKv(lines, '', kv);
    lines.line(`"More" : ${response['more'] === true}`);
    lines.line(`"Count" : ${response['count']}`);
  } else if (kind === 'del') {
    lines.line(`"Deleted" : ${response['deleted']}`);
    for (const kv of response['prev_kvs'] ?? []) fieldsKv(lines, 'Prev', kv);
  } else if (response['prev_kv'] !== null && response['prev_kv'] !== undefined) {
    fieldsKv(lines, 'Prev', response['prev_kv']);
  }
}

/** get, put or del's answer, ready to write. */
export function showKv(kind: Kind, options: KvDisplayOptions, response: Wire): Buffer {
  if (options.format === 'json') return Buffer.from(protoJson(typeNames[kind], response) + '\n');
  if (options.format === 'protobuf') return Connection.serializeResponse('KV', methods[kind], withoutZeros(typeNames[kind], response));
  const lines = new Lines();
  if (options.format === 'fields') fields(lines, kind, response);
  else simple(lines, kind, options, response);
  return lines.toBuffer();
}

const opKinds: Record<string, Kind> = { response_range: 'get', response_put: 'put', response_delete_range: 'del' };

export function showTxn(options: KvDisplayOptions, response: Wire): Buffer {
  if (options.format === 'json') return Buffer.from(protoJson('etcdserverpb.TxnResponse', response) + '\n');
  if (options.format === 'protobuf') return Connection.serializeResponse('KV', 'Txn', withoutZeros('etcdserverpb.TxnResponse', response));
  const lines = new Lines();
  const succeeded = response['succeeded'] === true;
  if (options.format === 'fields') {
    fieldsHeader(lines, response['header']);
    lines.line(`"Succeeded" : ${succeeded}`);
  } else {
    lines.line(succeeded ? 'SUCCESS' : 'FAILURE');
  }
  for (const op of (response['responses'] ?? []) as Wire[]) {
    const which: string = op['response'];
    const kind = opKinds[which];
    if (options.format !== 'fields') lines.line('');
    if (kind === undefined) lines.line(options.format === 'fields' ? `"Unknown" : ${goQuote(String(which))}` : `unexpected response ${which}`);
    else if (options.format === 'fields') fields(lines, kind, op[which]);
    else simple(lines, kind, options, op[which]);
  }
  return lines.toBuffer();
}

export function eventTypeName(event: Wire): 'PUT' | 'DELETE' {
  return event['type'] === 'Delete' || event['type'] === 1 ? 'DELETE' : 'PUT';
}

/** One watch answer: etcdctl prints the client library's WatchResponse, not the raw message. */
export function showWatch(options: KvDisplayOptions, response: Wire): Buffer {
  const events: Wire[] = response['events'] ?? [];
  const header: Wire = response['header'] ?? {};
  if (options.format === 'json') {
    const eventsJson = events.map((event) => protoJson('mvccpb.Event', event)).join(',');
    return Buffer.from(
      `{"Header":${protoJson('etcdserverpb.ResponseHeader', header)},"Events":[${eventsJson}],"CompactRevision":${response['compact_revision'] ?? 0},` +
        `"Canceled":${response['canceled'] === true},"Created":${response['created'] === true}}\n`,
    );
  }
  if (options.format === 'protobuf') {
    const { compact_revision, canceled, created } = response;
    return Connection.serializeResponse('Watch', 'Watch', withoutZeros('etcdserverpb.WatchResponse', { header, events, compact_revision, canceled, created }));
  }
  const lines = new Lines();
  if (options.format === 'fields') fieldsHeader(lines, header);
  for (const event of events) {
    if (options.format === 'fields') {
      lines.line(`"Type" : ${eventTypeName(event)}`);
      if (event['prev_kv'] !== null && event['prev_kv'] !== undefined) fieldsKv(lines, 'Prev', event['prev_kv']);
      fieldsKv(lines, '', event['kv'] ?? {});
      continue;
    }
    lines.line(eventTypeName(event));
    if (event['prev_kv'] !== null && event['prev_kv'] !== undefined) printKv(lines, options, event['prev_kv']);
    printKv(lines, options, event['kv'] ?? {});
  }
  return lines.toBuffer();
}
