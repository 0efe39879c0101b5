// The kv swarm's requests in two languages: the checker's (src/check: plain
// strings, the MVCC specification's inputs and outputs) and the store's
// (src/kv: bytes, etcd's request and response shapes). A client plans each
// request in the checker's terms and sends its translation, so what is
// recorded is exactly what was asked; every response is translated back
// field by field, so the checker sees exactly what the client was told.
// Keys and values are ASCII, so the store's one-byte key strings and the
// checker's strings coincide.

import type {
  Compare as CheckCompare, KeyValue as CheckKeyValue, MvccInput, MvccOutput, RequestOp as CheckRequestOp, ResponseOp as CheckResponseOp,
} from '../../check/index.js';
import type { KvCommand } from '../../kv/kv-command.js';
import type { KvResponse } from '../../kv/kv-state-machine.js';
import type { Compare, KeyValue, RequestOp, ResponseOp } from '../../kv/types.js';

const utf8 = new TextEncoder();
const latin1 = new TextDecoder('latin1');

export const bytes = (text: string): Uint8Array => utf8.encode(text);
export const text = (data: Uint8Array): string => latin1.decode(data);

/** The store's view of a key-value, as the checker records it (the lease is invisible to the specification). */
export function checkKeyValue(kv: KeyValue): CheckKeyValue {
  return { key: text(kv.key), value: text(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version };
}

/** The store command for a planned request; puts carry `lease` when given, and every write asks for previous values. */
export function toKvCommand(input: MvccInput, lease?: bigint): KvCommand {
  if (input.kind === 'txn') {
    return {
      type: 'txn',
      request: { compare: input.compare.map(toCompare), success: input.success.map((op) => toRequestOp(op, lease)), failure: input.failure.map((op) => toRequestOp(op, lease)) },
    };
  }
  return toRequestOp(input, lease) as KvCommand;
}

function toRequestOp(op: CheckRequestOp, lease: bigint | undefined): RequestOp {
  const rangeEnd = op.kind === 'put' || op.rangeEnd === undefined ? {} : { rangeEnd: bytes(op.rangeEnd) };
  switch (op.kind) {
    case 'range':
      return { type: 'range', request: { key: bytes(op.key), ...rangeEnd } };
    case 'put':
      return { type: 'put', request: { key: bytes(op.key), value: bytes(op.value), prevKv: true, ...(lease === undefined ? {} : { lease }) } };
    case 'delete-range':
      return { type: 'delete-range', request: { key: bytes(op.key), ...rangeEnd, prevKv: true } };
  }
}

function toCompare(compare: CheckCompare): Compare {
  const base = { key: bytes(compare.key), result: compare.result };
  switch (compare.target) {
    case 'value':
      return { ...base, target: 'value', value: bytes(String(compare.operand)) };
    case 'version':
      return { ...base, target: 'version', version: Number(compare.operand) };
    case 'create':
      return { ...base, target: 'create', createRevision: Number(compare.operand) };
    case 'mod':
      return { ...base, target: 'mod', modRevision: Number(compare.operand) };
  }
}

/** The client's answer in the checker's terms; null for responses the specification has no words for. */
export function toMvccOutput(response: KvResponse): MvccOutput | null {
  switch (response.type) {
    case 'range':
    case 'put':
    case 'delete-range':
      return toResponseOp(response as ResponseOp);
    case 'txn':
      return {
        kind: 'txn',
        revision: response.response.revision,
        succeeded: response.response.succeeded,
        responses: response.response.responses.map((each) => {
          if (each.type === 'txn') throw new Error('the kv swarm plans no nested transactions');
          return toResponseOp(each);
        }),
      };
    default:
      return null;
  }
}

function toResponseOp(op: ResponseOp): CheckResponseOp {
  switch (op.type) {
    case 'range':
      return { kind: 'range', revision: op.response.revision, kvs: op.response.kvs.map(checkKeyValue) };
    case 'put':
      return { kind: 'put', revision: op.response.revision, prevKv: op.response.prevKv === null ? null : checkKeyValue(op.response.prevKv) };
    case 'delete-range':
      return { kind: 'delete-range', revision: op.response.revision, deleted: op.response.deleted, prevKvs: op.response.prevKvs.map(checkKeyValue) };
    case 'txn':
      throw new Error('the kv swarm plans no nested transactions');
  }
}

/** Every key-value a response reports, for clients that remember what they saw. */
export function keyValuesIn(output: MvccOutput): CheckKeyValue[] {
  const found: CheckKeyValue[] = [];
  for (const response of output.kind === 'txn' ? output.responses : [output]) {
    if (response.kind === 'range') found.push(...response.kvs);
  }
  return found;
}
