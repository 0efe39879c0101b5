// What one entry of the consistent core's log carries: an optional request
// id (client session and sequence number, for the Idempotent Receiver), the
// proposer's wall-clock time (the log's clock, which expires idle sessions
// identically on every member), and one command: a key-value command, an
// alarm, a member publishing its name and client URLs, or a member's new
// peer URLs. Membership itself changes through Raft's config entries, whose
// context carries the member record (see member-table.ts).

import { BinaryReader, BinaryWriter } from '../kv/binary-codec.js';
import { decodeKvCommand, encodeKvCommand, type KvCommand } from '../kv/kv-command.js';
import type { NodeId } from '../ids.js';
import { nodeId } from '../ids.js';
import type { RequestId } from './idempotent-receiver.js';
import { decodeValue, encodeValue, type PlainValue } from './value-codec.js';

export type AlarmType = 'nospace' | 'corrupt';

export type CoreCommand =
  | { readonly type: 'kv'; readonly command: KvCommand }
  | { readonly type: 'alarm'; readonly action: 'activate' | 'deactivate'; readonly memberId: bigint; readonly alarm: AlarmType }
  | { readonly type: 'publish'; readonly node: NodeId; readonly name: string; readonly clientUrls: readonly string[] }
  | { readonly type: 'member-update'; readonly memberId: bigint; readonly peerUrls: readonly string[] };

export interface CoreEntry {
  readonly requestId: RequestId | null;
  readonly proposedAtMs: number;
  readonly command: CoreCommand;
}

const formatVersion = 1;
const commandTypes = ['kv', 'alarm', 'publish', 'member-update'] as const satisfies readonly CoreCommand['type'][];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The entry's bytes, as a view of a scratch buffer from Node's shared pool:
 * whoever keeps them copies them first (CoreNode into its EntrySlabs), or
 * the view would hold its pool slab alive.
 */
export function encodeCoreEntry(entry: CoreEntry): Uint8Array {
  const kvBytes = entry.command.type === 'kv' ? encodeKvCommand(entry.command.command) : null;
  // Sized for the whole entry at once (the request id's session is a short name), so it is never copied to grow.
  const writer = new BinaryWriter(kvBytes === null ? 256 : kvBytes.length + 64);
  writer.u8(formatVersion).u8(entry.requestId === null ? 0 : 1);
  if (entry.requestId !== null) writer.bytes(utf8.encode(entry.requestId.session)).varuint(entry.requestId.seq);
  writer.varuint(Math.max(0, Math.floor(entry.proposedAtMs))).u8(commandTypes.indexOf(entry.command.type));
  const command = entry.command;
  switch (command.type) {
    case 'kv':
      writer.raw(kvBytes!);
      break;
    case 'alarm':
      writer.raw(encodeValue({ action: command.action, memberId: command.memberId, alarm: command.alarm }));
      break;
    case 'publish':
      writer.raw(encodeValue({ node: command.node, name: command.name, clientUrls: [...command.clientUrls] }));
      break;
    case 'member-update':
      writer.raw(encodeValue({ memberId: command.memberId, peerUrls: [...command.peerUrls] }));
      break;
  }
  return writer.finish();
}

/** Throws RangeError when the bytes are not a well-formed entry. */
export function decodeCoreEntry(bytes: Uint8Array): CoreEntry {
  const reader = new BinaryReader(bytes);
  const version = reader.u8();
  if (version !== formatVersion) throw new RangeError(`unknown core entry format ${version}`);
  const flags = reader.u8();
  if (flags > 1) throw new RangeError(`bad core entry flags ${flags}`);
  let requestId: RequestId | null = null;
  if (flags === 1) {
    const session = fromUtf8.decode(reader.bytes());
    requestId = { session, seq: reader.varuint() };
  }
  const proposedAtMs = reader.varuint();
  const type = commandTypes[reader.u8()];
  const rest = reader.raw(reader.remaining);
  switch (type) {
    case 'kv':
      return { requestId, proposedAtMs, command: { type, command: decodeKvCommand(rest) } };
    case 'alarm': {
      const body = record(decodeValue(rest));
      const action = body['action'];
      const alarm = body['alarm'];
      if ((action !== 'activate' && action !== 'deactivate') || (alarm !== 'nospace' && alarm !== 'corrupt')) throw new RangeError('bad alarm command');
      return { requestId, proposedAtMs, command: { type, action, alarm, memberId: bigintField(body, 'memberId') } };
    }
    case 'publish': {
      const body = record(decodeValue(rest));
      return {
        requestId, proposedAtMs,
        command: { type, node: nodeId(stringField(body, 'node')), name: stringField(body, 'name'), clientUrls: stringsField(body, 'clientUrls') },
      };
    }
    case 'member-update': {
      const body = record(decodeValue(rest));
      return { requestId, proposedAtMs, command: { type, memberId: bigintField(body, 'memberId'), peerUrls: stringsField(body, 'peerUrls') } };
    }
    default:
      throw new RangeError('unknown core command type');
  }
}

export function record(value: PlainValue): Record<string, PlainValue> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new RangeError('expected a record');
  return value as Record<string, PlainValue>;
}

export function stringField(body: Record<string, PlainValue>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new RangeError(`field ${name} must be a string`);
  return value;
}

export function bigintField(body: Record<string, PlainValue>, name: string): bigint {
  const value = body[name];
  if (typeof value !== 'bigint') throw new RangeError(`field ${name} must be a bigint`);
  return value;
}

export function stringsField(body: Record<string, PlainValue>, name: string): string[] {
  const value = body[name];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new RangeError(`field ${name} must be a list of strings`);
  return value as string[];
}
