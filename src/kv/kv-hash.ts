// HashKV: a CRC32C over every retained history entry up to a revision, in key
// order, as etcd's HashKV lets operators compare members. Members that applied
// the same log agree on it, whether or not they restored from a snapshot.

import { crc32c } from '@node-rs/crc32';
import { BinaryWriter } from './binary-codec.js';
import { KvError } from './errors.js';
import type { MvccStore } from './mvcc-store.js';
import type { HashKvResponse } from './types.js';

const flushBytes = 64 * 1024;

export function hashKv(store: MvccStore, revision: number): HashKvResponse {
  const current = store.revision;
  if (revision > current) throw new KvError('future-revision', `hash at ${revision}, current ${current}`);
  const upTo = revision <= 0 ? current : revision;
  if (upTo < store.compactRevision) throw new KvError('compacted', `hash at ${upTo}, compacted at ${store.compactRevision}`);
  let crc = 0;
  let writer = new BinaryWriter(flushBytes * 2);
  for (const [key, history] of store.histories()) {
    for (const entry of history) {
      if (entry.rev > upTo) break;
      writer.latin1(key).varuint(entry.rev).varuint(entry.sub);
      if (entry.value === null) writer.u8(0);
      else writer.u8(1).varuint(entry.createRev).varuint(entry.version).i64(entry.lease).latin1(entry.value);
    }
    if (writer.length >= flushBytes) {
      crc = crc32c(writer.finish(), crc);
      writer = new BinaryWriter(flushBytes * 2);
    }
  }
  crc = crc32c(writer.finish(), crc);
  return { revision: current, hash: crc >>> 0, compactRevision: store.compactRevision };
}
