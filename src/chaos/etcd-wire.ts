// Between the checker's model of requests and responses and what the etcd3
// client sends and receives: 64-bit numbers arrive as decimal strings, keys
// and values as buffers, txn responses as a oneof per operation.

import type { IKeyValue, IRequestOp, IResponseOp, ITxnRequest, IWatchResponse } from 'etcd3';
import type { Compare, KeyValue, MvccOutput, RequestOp, ResponseOp, TxnRequest, WatchEvent } from '../check/index.js';

const targetNames = { value: 'Value', version: 'Version', create: 'Create', mod: 'Mod' } as const;
const resultNames = { equal: 'Equal', 'not-equal': 'NotEqual', greater: 'Greater', less: 'Less' } as const;

export function keyValueOf(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  };
}

function rangeEndBuffer(rangeEnd: string | undefined): Buffer | undefined {
  if (rangeEnd === undefined) return undefined;
  return rangeEnd === '\0' ? Buffer.from([0]) : Buffer.from(rangeEnd);
}

export function requestOp(op: RequestOp, options: { prevKv: boolean; serializable: boolean }): IRequestOp {
  switch (op.kind) {
    case 'range':
      return { request_range: { key: Buffer.from(op.key), range_end: rangeEndBuffer(op.rangeEnd), serializable: options.serializable } };
    case 'put':
      return { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value), prev_kv: options.prevKv } };
    case 'delete-range':
      return { request_delete_range: { key: Buffer.from(op.key), range_end: rangeEndBuffer(op.rangeEnd), prev_kv: options.prevKv } };
  }
}

function compareOf(compare: Compare): NonNullable<ITxnRequest['compare']>[number] {
  const base = { key: Buffer.from(compare.key), target: targetNames[compare.target], result: resultNames[compare.result] };
  switch (compare.target) {
    case 'value':
      return { ...base, value: Buffer.from(String(compare.operand)) };
    case 'version':
      return { ...base, version: compare.operand };
    case 'create':
      return { ...base, create_revision: compare.operand };
    case 'mod':
      return { ...base, mod_revision: compare.operand };
  }
}

/** Inner operations of a txn carry no prev_kv, so the model checks only what the outer response says. */
export function txnRequest(txn: TxnRequest, serializable: boolean): ITxnRequest {
  const options = { prevKv: false, serializable };
  return { compare: txn.compare.map(compareOf), success: txn.success.map((op) => requestOp(op, options)), failure: txn.failure.map((op) => requestOp(op, options)) };
}

/** Inner txn responses may come without a header: the txn's own header is the one the model compares. */
interface Header { header: { revision: string } | null }

function revisionOf(response: Header): number {
  return response.header === null ? 0 : Number(response.header.revision);
}

export function rangeOutput(response: Header & { kvs: IKeyValue[] }): MvccOutput {
  return { kind: 'range', revision: revisionOf(response), kvs: response.kvs.map(keyValueOf) };
}

export function putOutput(response: Header & { prev_kv?: IKeyValue | null }, prevKvAsked: boolean): MvccOutput {
  const prevKv = response.prev_kv === undefined || response.prev_kv === null ? null : keyValueOf(response.prev_kv);
  return { kind: 'put', revision: revisionOf(response), ...(prevKvAsked ? { prevKv } : {}) };
}

export function deleteOutput(response: Header & { deleted: string; prev_kvs: IKeyValue[] }, prevKvAsked: boolean): MvccOutput {
  return {
    kind: 'delete-range',
    revision: revisionOf(response),
    deleted: Number(response.deleted),
    ...(prevKvAsked ? { prevKvs: response.prev_kvs.map(keyValueOf) } : {}),
  };
}

function responseOp(response: IResponseOp & { response?: string }): ResponseOp {
  if (response.response_range) return rangeOutput(response.response_range) as ResponseOp;
  if (response.response_put) return putOutput(response.response_put, false) as ResponseOp;
  if (response.response_delete_range) return deleteOutput(response.response_delete_range, false) as ResponseOp;
  throw new Error(`unexpected txn response ${response.response ?? JSON.stringify(Object.keys(response))}`);
}

export function txnOutput(response: Header & { succeeded: boolean; responses: IResponseOp[] }): MvccOutput {
  return { kind: 'txn', revision: revisionOf(response), succeeded: response.succeeded, responses: response.responses.map(responseOp) };
}

/** One watch response's events in the checker's terms; deletes carry only key and revision. */
export function watchEvents(response: IWatchResponse): WatchEvent[] {
  return response.events.map((event) => {
    const kv = event.kv;
    const prevKv = event.prev_kv === undefined || event.prev_kv === null ? null : keyValueOf(event.prev_kv);
    const base = { key: kv.key.toString(), revision: Number(kv.mod_revision), prevKv };
    if (event.type === 'Delete') return { type: 'delete' as const, ...base };
    return { type: 'put' as const, ...base, value: kv.value.toString(), createRevision: Number(kv.create_revision), version: Number(kv.version) };
  });
}
