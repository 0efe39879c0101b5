// The consistent core's members as etcd's Cluster API shows them: a 64-bit
// id, a name, peer URLs and client URLs for each Raft node. The record of a
// member travels in the context of the Raft config entry that adds it, so
// membership and addresses commit together; a member then publishes its name
// and client URLs through the log once it runs (as etcd members do), and
// MemberUpdate replaces peer URLs through the log. Removed ids are kept, so
// a removed member can be recognised and refused if it comes back.

import type { NodeId } from '../ids.js';
import { bigintField, record, stringField, stringsField } from './core-command.js';
import { decodeValue, encodeValue, type PlainValue } from './value-codec.js';

export interface MemberRecord {
  readonly node: NodeId;
  readonly id: bigint;
  /** Empty until the member has started and published it (etcd shows such members as "unstarted"). */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

export interface MemberContext {
  readonly id: bigint;
  readonly name: string;
  readonly peerUrls: readonly string[];
}

export function encodeMemberContext(context: MemberContext): Uint8Array {
  return encodeValue({ id: context.id, name: context.name, peerUrls: [...context.peerUrls] });
}

/** Throws RangeError on bytes that are not a member context. */
export function decodeMemberContext(bytes: Uint8Array): MemberContext {
  const body = record(decodeValue(bytes));
  return { id: bigintField(body, 'id'), name: stringField(body, 'name'), peerUrls: stringsField(body, 'peerUrls') };
}

/** A stable 64-bit id from text (FNV-1a), for members named only by their node id (the simulator's planets). */
export function memberIdFromText(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash === 0n ? 1n : hash;
}

export type MemberChange =
  | { readonly type: 'added' | 'updated'; readonly member: MemberRecord }
  | { readonly type: 'removed'; readonly member: MemberRecord };

export class MemberTable {
  private members = new Map<NodeId, MemberRecord>();
  private removedIds = new Set<bigint>();
  private readonly listeners: ((change: MemberChange) => void)[] = [];

  onChange(listener: (change: MemberChange) => void): void {
    this.listeners.push(listener);
  }

  list(): MemberRecord[] {
    return [...this.members.values()];
  }

  byNode(node: NodeId): MemberRecord | undefined {
    return this.members.get(node);
  }

  byId(id: bigint): MemberRecord | undefined {
    for (const member of this.members.values()) if (member.id === id) return member;
    return undefined;
  }

  isRemoved(id: bigint): boolean {
    return this.removedIds.has(id);
  }

  /** A config entry added `node`; its context names it (a node without context gets an id from its node id). */
  added(node: NodeId, context: MemberContext | null): void {
    const existing = this.members.get(node);
    const member: MemberRecord = context === null
      ? { node, id: existing?.id ?? memberIdFromText(node), name: existing?.name ?? node, peerUrls: existing?.peerUrls ?? [], clientUrls: existing?.clientUrls ?? [] }
      : { node, id: context.id, name: context.name || existing?.name || '', peerUrls: context.peerUrls, clientUrls: existing?.clientUrls ?? [] };
    this.members.set(node, member);
    this.emit({ type: existing === undefined ? 'added' : 'updated', member });
  }

  removed(node: NodeId): void {
    const member = this.members.get(node);
    if (member === undefined) return;
    this.members.delete(node);
    this.removedIds.add(member.id);
    this.emit({ type: 'removed', member });
  }

  published(node: NodeId, name: string, clientUrls: readonly string[]): boolean {
    const member = this.members.get(node);
    if (member === undefined) return false;
    this.replace({ ...member, name, clientUrls: [...clientUrls] });
    return true;
  }

  updatePeerUrls(id: bigint, peerUrls: readonly string[]): boolean {
    const member = this.byId(id);
    if (member === undefined) return false;
    this.replace({ ...member, peerUrls: [...peerUrls] });
    return true;
  }

  toPlain(): PlainValue {
    return {
      members: this.list().map((m) => ({ node: m.node, id: m.id, name: m.name, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls] })),
      removed: [...this.removedIds],
    };
  }

  /** Replaces the table with a snapshot's; listeners see every member as updated and every vanished one as removed. */
  restore(plain: PlainValue): void {
    const body = record(plain);
    const members = new Map<NodeId, MemberRecord>();
    const list = body['members'];
    if (!Array.isArray(list)) throw new RangeError('members must be a list');
    for (const item of list as PlainValue[]) {
      const m = record(item);
      const node = stringField(m, 'node') as NodeId;
      members.set(node, { node, id: bigintField(m, 'id'), name: stringField(m, 'name'), peerUrls: stringsField(m, 'peerUrls'), clientUrls: stringsField(m, 'clientUrls') });
    }
    const removed = body['removed'];
    if (!Array.isArray(removed) || !removed.every((id) => typeof id === 'bigint')) throw new RangeError('removed must be a list of ids');
    const previous = this.members;
    this.members = members;
    this.removedIds = new Set(removed as bigint[]);
    for (const member of previous.values()) if (!members.has(member.node)) this.emit({ type: 'removed', member });
    for (const member of members.values()) this.emit({ type: 'updated', member });
  }

  private replace(member: MemberRecord): void {
    this.members.set(member.node, member);
    this.emit({ type: 'updated', member });
  }

  private emit(change: MemberChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
