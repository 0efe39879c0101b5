// KvCommand: what goes through the Raft log for the key-value state machine,
// in a compact binary form (a version byte, a tag, then fields in fixed
// order). Reads may go through the log too (a txn of ranges, or a range
// served in log order). Negative revisions and limits mean "none" in etcd and
// are encoded as 0.

import { BinaryReader, BinaryWriter } from './binary-codec.js';
import type {
  Compare, CompareResult, CompactionRequest, DeleteRangeRequest, LeaseGrantRequest, LeaseRevokeRequest, PutRequest,
  RangeRequest, RequestOp, SortOrder, SortTarget, TxnRequest,
} from './types.js';

export type KvCommand =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'delete-range'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  | { readonly type: 'compact'; readonly request: CompactionRequest }
  | { readonly type: 'lease-grant'; readonly request: LeaseGrantRequest }
  | { readonly type: 'lease-revoke'; readonly request: LeaseRevokeRequest };

const formatVersion = 1;
/** Deeper nesting than this is refused when decoding, so recursion stays bounded. */
export const maxTxnDepth = 64;

const tags = ['range', 'put', 'delete-range', 'txn', 'compact', 'lease-grant', 'lease-revoke'] as const;
const sortOrders: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const sortTargets: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];
const compareResults: readonly CompareResult[] = ['equal', 'greater', 'less', 'not-equal'];
const compareTargets = ['version', 'create', 'mod', 'value', 'lease'] as const;
const empty = new Uint8Array(0);

const atLeastZero = (value: number | undefined): number => Math.max(0, Math.trunc(value ?? 0));

function pick<T>(table: readonly T[], index: number, what: string): T {
  const value = table[index];
  if (value === undefined) throw new RangeError(`unknown ${what} ${index}`);
  return value;
}

/** The command's bytes: a view of a buffer that may come from Node's pool (see BinaryWriter). */
export function encodeKvCommand(command: KvCommand): Uint8Array {
  const writer = new BinaryWriter(command.type === 'put' ? command.request.key.length + command.request.value.length + 32 : 256);
  writer.u8(formatVersion).u8(tags.indexOf(command.type));
  switch (command.type) {
    case 'range':
      writeRange(writer, command.request);
      break;
    case 'put':
      writePut(writer, command.request);
      break;
    case 'delete-range':
      writeDelete(writer, command.request);
      break;
    case 'txn':
      writeTxn(writer, command.request);
      break;
    case 'compact':
      writer.varuint(atLeastZero(command.request.revision));
      break;
    case 'lease-grant':
      writer.i64(command.request.id).i64(BigInt(Math.trunc(command.request.ttlSeconds)));
      break;
    case 'lease-revoke':
      writer.i64(command.request.id);
      break;
  }
  return writer.finish();
}

/**
 * Throws RangeError when the bytes are not a well-formed command. Byte fields
 * of the result are views into `bytes` (applying copies what it keeps).
 */
export function decodeKvCommand(bytes: Uint8Array): KvCommand {
  const reader = new BinaryReader(bytes);
  const version = reader.u8();
  if (version !== formatVersion) throw new RangeError(`unknown command format ${version}`);
  const type = pick(tags, reader.u8(), 'command tag');
  let command: KvCommand;
  switch (type) {
    case 'range':
      command = { type, request: readRange(reader) };
      break;
    case 'put':
      command = { type, request: readPut(reader) };
      break;
    case 'delete-range':
      command = { type, request: readDelete(reader) };
      break;
    case 'txn':
      command = { type, request: readTxn(reader, 0) };
      break;
    case 'compact':
      command = { type, request: { revision: reader.varuint() } };
      break;
    case 'lease-grant':
      command = { type, request: { id: reader.i64(), ttlSeconds: Number(reader.i64()) } };
      break;
    case 'lease-revoke':
      command = { type, request: { id: reader.i64() } };
      break;
  }
  if (reader.remaining !== 0) throw new RangeError(`${reader.remaining} trailing bytes after a ${type} command`);
  return command;
}

function writeRange(writer: BinaryWriter, request: RangeRequest): void {
  writer.bytes(request.key).bytes(request.rangeEnd ?? empty);
  writer.varuint(atLeastZero(request.limit)).varuint(atLeastZero(request.revision));
  writer.u8(sortOrders.indexOf(request.sortOrder ?? 'none')).u8(sortTargets.indexOf(request.sortTarget ?? 'key'));
  writer.bool(request.keysOnly).bool(request.countOnly);
  writer.varuint(atLeastZero(request.minModRevision)).varuint(atLeastZero(request.maxModRevision));
  writer.varuint(atLeastZero(request.minCreateRevision)).varuint(atLeastZero(request.maxCreateRevision));
}

function readRange(reader: BinaryReader): RangeRequest {
  return {
    key: reader.bytes(),
    rangeEnd: reader.bytes(),
    limit: reader.varuint(),
    revision: reader.varuint(),
    sortOrder: pick(sortOrders, reader.u8(), 'sort order'),
    sortTarget: pick(sortTargets, reader.u8(), 'sort target'),
    keysOnly: reader.bool(),
    countOnly: reader.bool(),
    minModRevision: reader.varuint(),
    maxModRevision: reader.varuint(),
    minCreateRevision: reader.varuint(),
    maxCreateRevision: reader.varuint(),
  };
}

function writePut(writer: BinaryWriter, request: PutRequest): void {
  writer.bytes(request.key).bytes(request.value).i64(request.lease ?? 0n);
  writer.bool(request.prevKv).bool(request.ignoreValue).bool(request.ignoreLease);
}

function readPut(reader: BinaryReader): PutRequest {
  return { key: reader.bytes(), value: reader.bytes(), lease: reader.i64(), prevKv: reader.bool(), ignoreValue: reader.bool(), ignoreLease: reader.bool() };
}

function writeDelete(writer: BinaryWriter, request: DeleteRangeRequest): void {
  writer.bytes(request.key).bytes(request.rangeEnd ?? empty).bool(request.prevKv);
}

function readDelete(reader: BinaryReader): DeleteRangeRequest {
  return { key: reader.bytes(), rangeEnd: reader.bytes(), prevKv: reader.bool() };
}

function writeCompare(writer: BinaryWriter, compare: Compare): void {
  writer.bytes(compare.key).bytes(compare.rangeEnd ?? empty);
  writer.u8(compareResults.indexOf(compare.result)).u8(compareTargets.indexOf(compare.target));
  switch (compare.target) {
    case 'value':
      writer.bytes(compare.value);
      break;
    case 'version':
      writer.i64(BigInt(compare.version));
      break;
    case 'create':
      writer.i64(BigInt(compare.createRevision));
      break;
    case 'mod':
      writer.i64(BigInt(compare.modRevision));
      break;
    case 'lease':
      writer.i64(compare.lease);
      break;
  }
}

function readCompare(reader: BinaryReader): Compare {
  const key = reader.bytes();
  const rangeEnd = reader.bytes();
  const result = pick(compareResults, reader.u8(), 'compare result');
  const target = pick(compareTargets, reader.u8(), 'compare target');
  switch (target) {
    case 'value':
      return { key, rangeEnd, result, target, value: reader.bytes() };
    case 'version':
      return { key, rangeEnd, result, target, version: Number(reader.i64()) };
    case 'create':
      return { key, rangeEnd, result, target, createRevision: Number(reader.i64()) };
    case 'mod':
      return { key, rangeEnd, result, target, modRevision: Number(reader.i64()) };
    case 'lease':
      return { key, rangeEnd, result, target, lease: reader.i64() };
  }
}

function writeOps(writer: BinaryWriter, ops: readonly RequestOp[]): void {
  writer.varuint(ops.length);
  for (const op of ops) {
    writer.u8(tags.indexOf(op.type));
    if (op.type === 'range') writeRange(writer, op.request);
    else if (op.type === 'put') writePut(writer, op.request);
    else if (op.type === 'delete-range') writeDelete(writer, op.request);
    else writeTxn(writer, op.request);
  }
}

function readOps(reader: BinaryReader, depth: number): RequestOp[] {
  const count = reader.varuint();
  // Each op takes at least one byte, so a count beyond the input is malformed.
  if (count > reader.remaining) throw new RangeError(`${count} ops cannot fit in ${reader.remaining} bytes`);
  const ops: RequestOp[] = [];
  for (let i = 0; i < count; i++) {
    const type = pick(tags, reader.u8(), 'op tag');
    if (type === 'range') ops.push({ type, request: readRange(reader) });
    else if (type === 'put') ops.push({ type, request: readPut(reader) });
    else if (type === 'delete-range') ops.push({ type, request: readDelete(reader) });
    else if (type === 'txn') ops.push({ type, request: readTxn(reader, depth + 1) });
    else throw new RangeError(`a ${type} cannot be a txn operation`);
  }
  return ops;
}

function writeTxn(writer: BinaryWriter, request: TxnRequest): void {
  writer.varuint(request.compare.length);
  for (const compare of request.compare) writeCompare(writer, compare);
  writeOps(writer, request.success);
  writeOps(writer, request.failure);
}

function readTxn(reader: BinaryReader, depth: number): TxnRequest {
  if (depth > maxTxnDepth) throw new RangeError(`txn nested deeper than ${maxTxnDepth}`);
  const count = reader.varuint();
  if (count > reader.remaining) throw new RangeError(`${count} compares cannot fit in ${reader.remaining} bytes`);
  const compare: Compare[] = [];
  for (let i = 0; i < count; i++) compare.push(readCompare(reader));
  return { compare, success: readOps(reader, depth), failure: readOps(reader, depth) };
}
