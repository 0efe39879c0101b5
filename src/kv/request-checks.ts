// Checks that depend on a request alone, never on the store, in the order
// etcd 3.4's gRPC layer makes them (v3rpc/key.go). They run before a request
// is proposed and again when it is applied, so a request that slipped past
// one member's front door still fails the same way on every member.

import { KvError } from './errors.js';
import { bytesToKey, type KeyString } from './key-bytes.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types.js';

export function checkRange(request: RangeRequest): void {
  if (request.key.length === 0) throw new KvError('empty-key');
}

export function checkPut(request: PutRequest): void {
  if (request.key.length === 0) throw new KvError('empty-key');
  if (request.ignoreValue === true && request.value.length !== 0) throw new KvError('value-provided');
  if (request.ignoreLease === true && (request.lease ?? 0n) !== 0n) throw new KvError('lease-provided');
}

export function checkDeleteRange(request: DeleteRangeRequest): void {
  if (request.key.length === 0) throw new KvError('empty-key');
}

export function checkTxn(request: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(request, maxTxnOps);
  checkIntervals(request.success);
  checkIntervals(request.failure);
}

function checkTxnShape(request: TxnRequest, maxTxnOps: number): void {
  const ops = Math.max(request.compare.length, request.success.length, request.failure.length);
  if (ops > maxTxnOps) throw new KvError('too-many-ops', `${ops} > ${maxTxnOps}`);
  for (const compare of request.compare) if (compare.key.length === 0) throw new KvError('empty-key');
  // etcd lets a nested txn use only what its parent left of the budget.
  for (const op of [...request.success, ...request.failure]) checkOp(op, maxTxnOps - ops);
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  switch (op.type) {
    case 'range':
      return checkRange(op.request);
    case 'put':
      return checkPut(op.request);
    case 'delete-range':
      return checkDeleteRange(op.request);
    case 'txn':
      return checkTxnShape(op.request, maxTxnOps);
  }
}

interface Interval {
  readonly low: KeyString;
  /** Exclusive end, compared literally: etcd 3.4 builds these from raw bytes, so "\0" is not "unbounded" here. */
  readonly high: KeyString;
}

function deleteInterval(request: DeleteRangeRequest): Interval {
  const low = bytesToKey(request.key);
  if (request.rangeEnd === undefined || request.rangeEnd.length === 0) return { low, high: low + '\0' };
  return { low, high: bytesToKey(request.rangeEnd) };
}

function intersectsPoint(intervals: readonly Interval[], key: KeyString): boolean {
  return intervals.some((interval) => interval.low <= key && key < interval.high);
}

/**
 * A txn may not put one key twice, nor put a key that one of its deletes
 * covers, at any nesting depth; then and else branches of a nested txn may
 * put the same key because only one of them runs. This follows etcd 3.4's
 * checkIntervals rule for rule, including which pairs it compares.
 */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<KeyString>; deletes: Interval[] } {
  const deletes: Interval[] = [];
  for (const op of ops) if (op.type === 'delete-range') deletes.push(deleteInterval(op.request));
  const puts = new Set<KeyString>();
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.request.success);
    const otherwise = checkIntervals(op.request.failure);
    for (const key of then.puts) {
      if (puts.has(key) || intersectsPoint(deletes, key)) throw new KvError('duplicate-key');
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if (puts.has(key) && !then.puts.has(key)) throw new KvError('duplicate-key');
      if (intersectsPoint(deletes, key)) throw new KvError('duplicate-key');
      puts.add(key);
    }
    deletes.push(...then.deletes, ...otherwise.deletes);
  }
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const key = bytesToKey(op.request.key);
    if (puts.has(key) || intersectsPoint(deletes, key)) throw new KvError('duplicate-key');
    puts.add(key);
  }
  return { puts, deletes };
}

/** True when no branch at any depth writes. */
export function isReadOnlyTxn(request: TxnRequest): boolean {
  return [...request.success, ...request.failure].every((op) => op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op.request)));
}

/** Bytes the puts of a txn (both branches, all depths) could add, for the space quota. */
export function txnPutCostBytes(request: TxnRequest, costOfPut: (request: PutRequest) => number): number {
  let total = 0;
  for (const op of [...request.success, ...request.failure]) {
    if (op.type === 'put') total += costOfPut(op.request);
    else if (op.type === 'txn') total += txnPutCostBytes(op.request, costOfPut);
  }
  return total;
}
