// The replicated half of the Lease pattern: which leases exist, their granted
// TTL, and which keys are attached. Every member holds the same table because
// it changes only by applying log entries. When a lease expires is not decided
// here: the leader's Lessor (lessor.ts) decides and proposes a revoke.

import { fail } from '../assert.js';
import type { KeyString } from './key-bytes.js';

export interface LeaseRecord {
  readonly id: bigint;
  readonly ttlSeconds: number;
  readonly keys: Set<KeyString>;
}

const int64Mask = (1n << 63n) - 1n;

/** splitmix64: spreads consecutive log indexes over the id space. */
function mix64(seed: bigint): bigint {
  let z = (seed + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return z ^ (z >> 31n);
}

export class LeaseTable {
  private readonly leases = new Map<bigint, LeaseRecord>();

  get size(): number {
    return this.leases.size;
  }

  get(id: bigint): LeaseRecord | undefined {
    return this.leases.get(id);
  }

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  /**
   * A positive int64 id derived from the log index of the grant, so every
   * member that applies the same entry picks the same id.
   */
  generateId(logIndex: number): bigint {
    let seed = BigInt(logIndex);
    for (;;) {
      const id = mix64(seed) & int64Mask;
      if (id !== 0n && !this.leases.has(id)) return id;
      seed++;
    }
  }

  grant(id: bigint, ttlSeconds: number): LeaseRecord {
    if (!(id !== 0n && !this.leases.has(id))) fail(`lease ${id} must be new and non-zero`);
    const record: LeaseRecord = { id, ttlSeconds, keys: new Set() };
    this.leases.set(id, record);
    return record;
  }

  remove(id: bigint): void {
    this.leases.delete(id);
  }

  attach(id: bigint, key: KeyString): void {
    const record = this.leases.get(id);
    if (record === undefined) fail(`attach to missing lease ${id}`);
    record.keys.add(key);
  }

  detach(id: bigint, key: KeyString): void {
    this.leases.get(id)?.keys.delete(key);
  }

  /** Leases in ascending id order. */
  list(): LeaseRecord[] {
    return [...this.leases.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
