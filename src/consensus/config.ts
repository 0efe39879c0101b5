// Membership, changed one server at a time (Ongaro's dissertation, §4.1).
// Adding or removing a single voter keeps every majority of the old set
// overlapping every majority of the new set, so no joint phase is needed, on
// three conditions that the leader enforces:
//  - a config takes effect on a node as soon as it is appended to its log
//    (not when committed), and is undone if that entry is truncated;
//  - at most one config entry is uncommitted at a time;
//  - a new leader first commits an entry of its own term (its no-op) before
//    accepting a change, which closes the bug Ongaro reported in 2015 where
//    two leaders of different terms each append a change.
// The config at any index is therefore the base config (from the snapshot, or
// the bootstrap config for a fresh log) with every config entry up to that
// index applied in order. ConfigHistory keeps exactly that.

import { fail } from '../assert.js';
import { logIndex, nodeId, type LogIndex, type NodeId } from '../ids.js';
import type { ClusterConfig, ConfigChange } from './types.js';

export const emptyConfig: ClusterConfig = { voters: [], outgoingVoters: [], learners: [] };

export function isVoter(config: ClusterConfig, node: NodeId): boolean {
  return config.voters.includes(node) || config.outgoingVoters.includes(node);
}

export function isLearner(config: ClusterConfig, node: NodeId): boolean {
  return config.learners.includes(node);
}

export function isMember(config: ClusterConfig, node: NodeId): boolean {
  return isVoter(config, node) || isLearner(config, node);
}

/** Every node that receives the log: voters of both halves and learners, each once. */
export function members(config: ClusterConfig): NodeId[] {
  const all: NodeId[] = [...config.voters];
  for (const node of config.outgoingVoters) if (!all.includes(node)) all.push(node);
  for (const node of config.learners) if (!all.includes(node)) all.push(node);
  return all;
}

/** Why a change cannot apply to a config, or null when it can. */
export function checkChange(config: ClusterConfig, change: ConfigChange): string | null {
  const node = change.node;
  switch (change.type) {
    case 'add-voter':
      return isVoter(config, node) ? `${node} is already a voter` : null;
    case 'add-learner':
      if (isVoter(config, node)) return `${node} is a voter: demoting a voter is not supported`;
      return isLearner(config, node) ? `${node} is already a learner` : null;
    case 'promote-learner':
      return isLearner(config, node) ? null : `${node} is not a learner`;
    case 'remove':
      if (!isMember(config, node)) return `${node} is not a member`;
      if (config.voters.length === 1 && config.voters[0] === node) return `${node} is the last voter`;
      return null;
  }
}

/** The config after a change. An impossible change (checked on the leader) leaves it as it was, so every node derives the same config. */
export function applyChange(config: ClusterConfig, change: ConfigChange): ClusterConfig {
  if (checkChange(config, change) !== null) return config;
  const node = change.node;
  const withoutNode = (list: readonly NodeId[]) => list.filter((member) => member !== node);
  switch (change.type) {
    case 'add-voter':
      return { voters: [...config.voters, node], outgoingVoters: config.outgoingVoters, learners: withoutNode(config.learners) };
    case 'add-learner':
      return { voters: config.voters, outgoingVoters: config.outgoingVoters, learners: [...config.learners, node] };
    case 'promote-learner':
      return { voters: [...config.voters, node], outgoingVoters: config.outgoingVoters, learners: withoutNode(config.learners) };
    case 'remove':
      return { voters: withoutNode(config.voters), outgoingVoters: withoutNode(config.outgoingVoters), learners: withoutNode(config.learners) };
  }
}

const changeTypes = ['add-voter', 'add-learner', 'promote-learner', 'remove'] as const;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A config entry's data: one byte of change type, then the node id in UTF-8.
 * With a context, the type byte carries the high bit and is followed by the
 * node id's length (two bytes, big-endian), the node id, and the context.
 */
export function encodeConfigChange(change: ConfigChange): Uint8Array {
  const name = utf8Encoder.encode(change.node);
  const typeByte = changeTypes.indexOf(change.type);
  if (change.context === undefined) {
    const bytes = new Uint8Array(1 + name.length);
    bytes[0] = typeByte;
    bytes.set(name, 1);
    return bytes;
  }
  if (!(name.length <= 0xffff)) fail(`node id of ${name.length} bytes is too long`);
  const bytes = new Uint8Array(3 + name.length + change.context.length);
  bytes[0] = typeByte | 0x80;
  bytes[1] = name.length >> 8;
  bytes[2] = name.length & 0xff;
  bytes.set(name, 3);
  bytes.set(change.context, 3 + name.length);
  return bytes;
}

export function decodeConfigChange(bytes: Uint8Array): ConfigChange {
  const first = bytes[0] ?? 255;
  const type = changeTypes[first & 0x7f];
  const malformed = (): Error => new Error(`malformed config change entry (${bytes.length} bytes, type byte ${bytes[0]})`);
  if (type === undefined || bytes.length < 2) throw malformed();
  if ((first & 0x80) === 0) return { type, node: nodeId(utf8Decoder.decode(bytes.subarray(1))) };
  const nameBytes = ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
  if (bytes.length < 3 + nameBytes || nameBytes === 0) throw malformed();
  const node = nodeId(utf8Decoder.decode(bytes.subarray(3, 3 + nameBytes)));
  return { type, node, context: bytes.slice(3 + nameBytes) };
}

/** The config in force at each point of the log: a base config plus the config entries after it. */
export class ConfigHistory {
  private baseIndex: LogIndex;
  private baseConfig: ClusterConfig;
  private readonly changeIndexes: LogIndex[] = [];
  private readonly changeConfigs: ClusterConfig[] = [];

  constructor(baseIndex: LogIndex, baseConfig: ClusterConfig) {
    this.baseIndex = baseIndex;
    this.baseConfig = baseConfig;
  }

  current(): ClusterConfig {
    const count = this.changeConfigs.length;
    return count === 0 ? this.baseConfig : this.changeConfigs[count - 1]!;
  }

  /** Index of the newest config entry in the log, or 0 when the config comes from the base. */
  lastChangeIndex(): LogIndex {
    const count = this.changeIndexes.length;
    return count === 0 ? logIndex(0) : this.changeIndexes[count - 1]!;
  }

  /** A config entry was appended: its config is in force from now on. */
  appended(index: LogIndex, change: ConfigChange): void {
    if (!(index > this.baseIndex && index > this.lastChangeIndex())) fail(`config entry ${index} appended out of order`);
    this.changeIndexes.push(index);
    this.changeConfigs.push(applyChange(this.current(), change));
  }

  /** Entries from `index` on were removed from the log: their configs no longer hold. */
  truncatedFrom(index: LogIndex): void {
    if (!(index > this.baseIndex)) fail(`truncation at ${index} reaches below the config base ${this.baseIndex}`);
    while (this.changeIndexes.length > 0 && this.changeIndexes[this.changeIndexes.length - 1]! >= index) {
      this.changeIndexes.pop();
      this.changeConfigs.pop();
    }
  }

  /** The config in force at `index` (which must not be below the base). */
  at(index: LogIndex): ClusterConfig {
    if (!(index >= this.baseIndex)) fail(`config at ${index} was released below ${this.baseIndex}`);
    let config = this.baseConfig;
    for (let i = 0; i < this.changeIndexes.length && this.changeIndexes[i]! <= index; i++) config = this.changeConfigs[i]!;
    return config;
  }

  /** Entries up to `index` were released by a snapshot: fold their configs into the base. */
  compactTo(index: LogIndex): void {
    if (index <= this.baseIndex) return;
    this.baseConfig = this.at(index);
    this.baseIndex = index;
    while (this.changeIndexes.length > 0 && this.changeIndexes[0]! <= index) {
      this.changeIndexes.shift();
      this.changeConfigs.shift();
    }
  }

  /** The log was replaced by a snapshot. */
  reset(index: LogIndex, config: ClusterConfig): void {
    this.baseIndex = index;
    this.baseConfig = config;
    this.changeIndexes.length = 0;
    this.changeConfigs.length = 0;
  }
}
