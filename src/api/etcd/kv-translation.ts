// etcdserverpb KV messages <-> src/kv requests and responses. Pure: no I/O,
// no state, so every rule about what a request means is testable alone.
// Requests are validated field by field; anything malformed is an
// INVALID_ARGUMENT before the store sees it.

import { KvError } from '../../kv/errors.js';
import type {
  Compare, CompareResult, DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse, RangeRequest,
  RangeResponse, RequestOp, ResponseOp, SortOrder, SortTarget, TxnRequest, TxnResponse,
} from '../../kv/types.js';
import type { ResponseHeader } from './backend.js';
import { EtcdError } from './etcd-errors.js';
import { boolField, bytesField, enumField, int64Field, listField, messageField, safeIntField, toWireInt, toWireUint } from './wire-values.js';

type Message = Record<string, unknown>;

const sortOrders: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const sortTargets: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];
const compareResults: readonly CompareResult[] = ['equal', 'greater', 'less', 'not-equal'];
const compareTargets = ['version', 'create', 'mod', 'value', 'lease'] as const;

/** Nested txns deeper than this are refused before they reach the store's own bound. */
export const maxTxnNestingDepth = 64;

export function fromRangeRequest(message: Message): { request: RangeRequest; serializable: boolean } {
  const request: RangeRequest = {
    key: bytesField(message['key'], 'key'),
    rangeEnd: bytesField(message['range_end'], 'range_end'),
    limit: Math.max(0, safeIntField(message['limit'], 'limit')),
    revision: safeIntField(message['revision'], 'revision'),
    sortOrder: enumField(message['sort_order'], 'sort_order', ['None', 'Ascend', 'Descend'], sortOrders),
    sortTarget: enumField(message['sort_target'], 'sort_target', ['Key', 'Version', 'Create', 'Mod', 'Value'], sortTargets),
    keysOnly: boolField(message['keys_only'], 'keys_only'),
    countOnly: boolField(message['count_only'], 'count_only'),
    minModRevision: Math.max(0, safeIntField(message['min_mod_revision'], 'min_mod_revision')),
    maxModRevision: Math.max(0, safeIntField(message['max_mod_revision'], 'max_mod_revision')),
    minCreateRevision: Math.max(0, safeIntField(message['min_create_revision'], 'min_create_revision')),
    maxCreateRevision: Math.max(0, safeIntField(message['max_create_revision'], 'max_create_revision')),
  };
  return { request, serializable: boolField(message['serializable'], 'serializable') };
}

export function fromPutRequest(message: Message): PutRequest {
  return {
    key: bytesField(message['key'], 'key'),
    value: bytesField(message['value'], 'value'),
    lease: int64Field(message['lease'], 'lease'),
    prevKv: boolField(message['prev_kv'], 'prev_kv'),
    ignoreValue: boolField(message['ignore_value'], 'ignore_value'),
    ignoreLease: boolField(message['ignore_lease'], 'ignore_lease'),
  };
}

export function fromDeleteRangeRequest(message: Message): DeleteRangeRequest {
  return {
    key: bytesField(message['key'], 'key'),
    rangeEnd: bytesField(message['range_end'], 'range_end'),
    prevKv: boolField(message['prev_kv'], 'prev_kv'),
  };
}

function fromCompare(message: Message): Compare {
  const base = {
    key: bytesField(message['key'], 'compare.key'),
    rangeEnd: bytesField(message['range_end'], 'compare.range_end'),
    result: enumField(message['result'], 'compare.result', ['Equal', 'Greater', 'Less', 'NotEqual'], compareResults),
  };
  // etcd reads the union member that the target names; a different member
  // set by the client leaves that one at its zero value.
  const target = enumField(message['target'], 'compare.target', ['Version', 'Create', 'Mod', 'Value', 'Lease'], compareTargets);
  switch (target) {
    case 'version':
      return { ...base, target, version: safeIntField(message['version'], 'compare.version') };
    case 'create':
      return { ...base, target, createRevision: safeIntField(message['create_revision'], 'compare.create_revision') };
    case 'mod':
      return { ...base, target, modRevision: safeIntField(message['mod_revision'], 'compare.mod_revision') };
    case 'value':
      return { ...base, target, value: bytesField(message['value'], 'compare.value') };
    case 'lease':
      return { ...base, target, lease: int64Field(message['lease'], 'compare.lease') };
  }
}

function fromRequestOp(message: Message, maxTxnOps: number, depth: number): RequestOp {
  const range = messageField(message['request_range'], 'request_range');
  if (range !== null) return { type: 'range', request: fromRangeRequest(range).request };
  const put = messageField(message['request_put'], 'request_put');
  if (put !== null) return { type: 'put', request: fromPutRequest(put) };
  const del = messageField(message['request_delete_range'], 'request_delete_range');
  if (del !== null) return { type: 'delete-range', request: fromDeleteRangeRequest(del) };
  const txn = messageField(message['request_txn'], 'request_txn');
  if (txn !== null) return { type: 'txn', request: fromTxnRequest(txn, maxTxnOps, depth + 1) };
  throw EtcdError.invalidArgument('a txn operation carries no request');
}

/** Counts are checked before anything is translated, so a huge txn costs nothing (etcd checks them first too). */
export function fromTxnRequest(message: Message, maxTxnOps: number, depth = 0): TxnRequest {
  if (depth > maxTxnNestingDepth) throw EtcdError.invalidArgument(`txn nested deeper than ${maxTxnNestingDepth} levels`);
  const lists = ['compare', 'success', 'failure'].map((field) => listField(message[field], field, Number.MAX_SAFE_INTEGER));
  if (lists.some((list) => list.length > maxTxnOps)) throw new KvError('too-many-ops');
  const [compares, success, failure] = lists as [readonly unknown[], readonly unknown[], readonly unknown[]];
  const each = <T>(list: readonly unknown[], field: string, read: (m: Message) => T): T[] =>
    list.map((item) => {
      const m = messageField(item, field);
      if (m === null) throw EtcdError.invalidArgument(`a ${field} entry is empty`);
      return read(m);
    });
  return {
    compare: each(compares, 'compare', fromCompare),
    success: each(success, 'success', (m) => fromRequestOp(m, maxTxnOps, depth)),
    failure: each(failure, 'failure', (m) => fromRequestOp(m, maxTxnOps, depth)),
  };
}

// --- responses ---------------------------------------------------------------

export function toWireHeader(header: ResponseHeader): Message {
  return {
    cluster_id: toWireUint(header.clusterId),
    member_id: toWireUint(header.memberId),
    revision: toWireInt(header.revision),
    raft_term: toWireUint(BigInt(header.raftTerm)),
  };
}

/** Inside a txn etcd fills only the revision of each nested header. */
function innerHeader(revision: number): Message {
  return { revision: toWireInt(revision) };
}

export function toWireKeyValue(kv: KeyValue): Message {
  return {
    key: kv.key,
    create_revision: toWireInt(kv.createRevision),
    mod_revision: toWireInt(kv.modRevision),
    version: toWireInt(kv.version),
    value: kv.value,
    lease: toWireInt(kv.lease),
  };
}

export function toWireRangeResponse(header: Message, response: RangeResponse): Message {
  return { header, kvs: response.kvs.map(toWireKeyValue), more: response.more, count: toWireInt(response.count) };
}

export function toWirePutResponse(header: Message, response: PutResponse): Message {
  return { header, prev_kv: response.prevKv === null ? null : toWireKeyValue(response.prevKv) };
}

export function toWireDeleteRangeResponse(header: Message, response: DeleteRangeResponse): Message {
  return { header, deleted: toWireInt(response.deleted), prev_kvs: response.prevKvs.map(toWireKeyValue) };
}

function toWireResponseOp(op: ResponseOp): Message {
  switch (op.type) {
    case 'range':
      return { response_range: toWireRangeResponse(innerHeader(op.response.revision), op.response) };
    case 'put':
      return { response_put: toWirePutResponse(innerHeader(op.response.revision), op.response) };
    case 'delete-range':
      return { response_delete_range: toWireDeleteRangeResponse(innerHeader(op.response.revision), op.response) };
    case 'txn':
      return { response_txn: toWireTxnResponse(innerHeader(op.response.revision), op.response) };
  }
}

export function toWireTxnResponse(header: Message, response: TxnResponse): Message {
  return { header, succeeded: response.succeeded, responses: response.responses.map(toWireResponseOp) };
}
