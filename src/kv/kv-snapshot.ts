// Snapshots of the whole key-value state for Raft: every key's history above
// the compaction revision, the leases, and the node's opaque client-session
// blob, ending in a CRC32C. Taking one freezes the index in O(1) (the tree
// copies on write afterwards), so serialisation can run chunk by chunk while
// the store keeps applying writes; entries newer than the snapshot's revision
// are skipped as they are met.

import { crc32c } from '@node-rs/crc32';
import { BinaryReader, BinaryWriter } from './binary-codec.js';
import { KvSnapshotError } from './errors.js';
import type { KeyString } from './key-bytes.js';
import { noLease, type History, type Version } from './key-history.js';
import type { KvLimits } from './limits.js';
import { MvccStore, type StoreState } from './mvcc-store.js';

const magic = Buffer.from('TRKVSNAP', 'latin1');
const trailerMagic = Buffer.from('TRKVEND.', 'latin1');
const formatVersion = 1;
export const defaultSnapshotChunkBytes = 1024 * 1024;

const tombstoneFlag = 1;
const leaseFlag = 2;

export class KvSnapshot {
  constructor(
    private readonly state: StoreState,
    readonly sessions: Uint8Array,
  ) {}

  get revision(): number {
    return this.state.revision;
  }

  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /**
   * The encoded snapshot in pieces of about chunkBytes; pull them at any pace.
   * With 'reuse-buffer' every piece is written into the same buffer, valid
   * only until the next is pulled: a consumer that writes each piece out
   * before pulling the next (a snapshot file) then allocates one buffer for
   * the whole snapshot instead of one per megabyte.
   */
  *chunks(chunkBytes = defaultSnapshotChunkBytes, buffers: 'fresh-buffers' | 'reuse-buffer' = 'fresh-buffers'): Generator<Uint8Array> {
    const { revision, compactRevision, keys, leases } = this.state;
    let crc = 0;
    // Room for a full chunk plus one key's history, so the writer rarely grows.
    const writerBytes = chunkBytes + 64 * 1024;
    let writer = new BinaryWriter(writerBytes);
    // With fresh buffers a full chunk is the finished part of a writer used
    // once, so it is handed out as is rather than copied (a copy per megabyte
    // doubled the cost); the short last chunk is copied, or a small snapshot
    // would pin a whole buffer. A reused buffer is handed out as is every time.
    const reuse = buffers === 'reuse-buffer';
    writer.raw(magic).u8(formatVersion).varuint(revision).varuint(compactRevision).varuint(keys.size).varuint(leases.length);
    writer.bytes(this.sessions);
    for (const lease of leases) writer.i64(lease.id).i64(BigInt(lease.ttlSeconds));
    for (const [key, history] of keys.entries()) {
      writeHistory(writer, key, history, revision);
      if (writer.length < chunkBytes) continue;
      const chunk = writer.finish();
      crc = crc32c(chunk, crc);
      yield chunk;
      if (reuse) writer.reset();
      else writer = new BinaryWriter(writerBytes);
    }
    writer.raw(trailerMagic);
    crc = crc32c(writer.finish(), crc);
    const last = writer.u32(crc).finish();
    yield reuse ? last : new Uint8Array(last);
  }

  toBytes(): Uint8Array {
    return Buffer.concat([...this.chunks()]);
  }
}

function writeHistory(writer: BinaryWriter, key: KeyString, history: readonly Version[], revision: number): void {
  let count = history.length;
  while (count > 0 && history[count - 1]!.rev > revision) count--;
  writer.latin1(key).varuint(count);
  for (let i = 0; i < count; i++) {
    const entry = history[i]!;
    writer.varuint(entry.rev).varuint(entry.sub);
    if (entry.value === null) {
      writer.u8(tombstoneFlag);
      continue;
    }
    const hasLease = entry.lease !== noLease;
    writer.u8(hasLease ? leaseFlag : 0).varuint(entry.createRev).varuint(entry.version);
    if (hasLease) writer.i64(entry.lease);
    writer.latin1(entry.value);
  }
}

export function takeSnapshot(store: MvccStore, sessions: Uint8Array): KvSnapshot {
  return new KvSnapshot(store.freeze(), new Uint8Array(sessions));
}

/** Verifies the checksum, then rebuilds the store; throws KvSnapshotError on any damage. */
export function restoreSnapshot(bytes: Uint8Array, limits: Partial<KvLimits> = {}): { store: MvccStore; sessions: Uint8Array } {
  if (bytes.length < magic.length + trailerMagic.length + 4) throw new KvSnapshotError(`snapshot of ${bytes.length} bytes is too short to be a Trellis KV snapshot`);
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).readUInt32LE(0);
  const computed = crc32c(body);
  if (stored !== computed) {
    throw new KvSnapshotError(`snapshot checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)}): the snapshot is corrupt; fetch it again from the leader`);
  }
  try {
    return decode(new BinaryReader(body), limits);
  } catch (error) {
    if (error instanceof RangeError) throw new KvSnapshotError(`malformed snapshot despite a valid checksum: ${error.message}`);
    throw error;
  }
}

function decode(reader: BinaryReader, limits: Partial<KvLimits>): { store: MvccStore; sessions: Uint8Array } {
  if (!Buffer.from(reader.raw(magic.length)).equals(magic)) throw new RangeError('not a Trellis KV snapshot (bad magic)');
  const version = reader.u8();
  if (version !== formatVersion) throw new RangeError(`snapshot format ${version} is not supported (expected ${formatVersion})`);
  const revision = reader.varuint();
  const compactRevision = reader.varuint();
  const keyCount = reader.varuint();
  const leaseCount = reader.varuint();
  if (compactRevision > revision) throw new RangeError(`compaction revision ${compactRevision} above revision ${revision}`);
  const sessions = new Uint8Array(reader.bytes());
  if (leaseCount * 16 > reader.remaining) throw new RangeError(`${leaseCount} leases cannot fit`);
  const leases: { id: bigint; ttlSeconds: number }[] = [];
  for (let i = 0; i < leaseCount; i++) leases.push({ id: reader.i64(), ttlSeconds: Number(reader.i64()) });
  const leaseIds = new Set(leases.map((lease) => lease.id));
  const feed = (add: (key: KeyString, history: History) => void): void => {
    for (let i = 0; i < keyCount; i++) readHistory(reader, revision, leaseIds, add);
  };
  const store = MvccStore.fromState(limits, { revision, compactRevision, leases, feed });
  if (!Buffer.from(reader.raw(trailerMagic.length)).equals(trailerMagic)) throw new RangeError('missing trailer after the last key');
  if (reader.remaining !== 0) throw new RangeError(`${reader.remaining} unexpected bytes before the checksum`);
  return { store, sessions };
}

function readHistory(reader: BinaryReader, revision: number, leaseIds: ReadonlySet<bigint>, add: (key: KeyString, history: History) => void): void {
  const key = reader.latin1();
  const count = reader.varuint();
  if (count === 0 || count > reader.remaining) throw new RangeError(`key ${JSON.stringify(key)} has ${count} entries`);
  // Sized exactly: an array grown by push keeps spare slots, which a million keys pay for.
  const history: History = count === 1 ? [readEntry(reader, key, 0, count, 0, revision, leaseIds)] : new Array<Version>(count);
  if (count > 1) {
    let previousRev = 0;
    for (let i = 0; i < count; i++) {
      const entry = readEntry(reader, key, i, count, previousRev, revision, leaseIds);
      previousRev = entry.rev;
      history[i] = entry;
    }
  }
  add(key, history);
}

function readEntry(reader: BinaryReader, key: KeyString, i: number, count: number, previousRev: number, revision: number, leaseIds: ReadonlySet<bigint>): Version {
  const rev = reader.varuint();
  const sub = reader.varuint();
  if (rev < previousRev || rev > revision) throw new RangeError(`key ${JSON.stringify(key)}: entry revision ${rev} out of order`);
  const flags = reader.u8();
  if (flags === tombstoneFlag) return { rev, sub, createRev: 0, version: 0, lease: noLease, value: null };
  if ((flags & ~leaseFlag) !== 0) throw new RangeError(`bad entry flags ${flags}`);
  const createRev = reader.varuint();
  const version = reader.varuint();
  const lease = (flags & leaseFlag) !== 0 ? reader.i64() : noLease;
  if (lease !== noLease && i === count - 1 && !leaseIds.has(lease)) throw new RangeError(`key ${JSON.stringify(key)} is attached to unknown lease ${lease}`);
  return { rev, sub, createRev, version, lease, value: reader.latin1() };
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
