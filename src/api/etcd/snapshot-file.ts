// The bytes a Snapshot stream carries. etcdctl saves them to a file and
// accepts the file only if, like a bolt database, it is a whole number of
// 512-byte pages followed by a SHA-256 of those pages. Trellis wraps its
// key-value snapshot to fit: a small header with the snapshot's length,
// the snapshot, zero padding to the page size, then the digest.

import { createHash } from 'node:crypto';

export const snapshotPageBytes = 512;
const magic = Buffer.from('TRELLIS-SNAPSHOT', 'latin1');
const headerBytes = magic.length + 8;
const digestBytes = 32;

export function encodeSnapshotFile(kvSnapshot: Uint8Array): Buffer {
  const unpadded = headerBytes + kvSnapshot.length;
  const pages = Buffer.alloc(Math.ceil(unpadded / snapshotPageBytes) * snapshotPageBytes);
  magic.copy(pages, 0);
  pages.writeBigUInt64LE(BigInt(kvSnapshot.length), magic.length);
  pages.set(kvSnapshot, headerBytes);
  return Buffer.concat([pages, createHash('sha256').update(pages).digest()]);
}

/** The key-value snapshot inside a saved file; throws with what is wrong when the file is not one. */
export function decodeSnapshotFile(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.length);
  if (bytes.length < headerBytes + digestBytes || (bytes.length - digestBytes) % snapshotPageBytes !== 0) {
    throw new RangeError(`a snapshot file is whole ${snapshotPageBytes}-byte pages plus a SHA-256; ${bytes.length} bytes is not`);
  }
  const pages = bytes.subarray(0, bytes.length - digestBytes);
  if (!createHash('sha256').update(pages).digest().equals(bytes.subarray(bytes.length - digestBytes))) {
    throw new RangeError('snapshot file SHA-256 mismatch: the file is damaged; save it again');
  }
  if (!pages.subarray(0, magic.length).equals(magic)) throw new RangeError('not a Trellis snapshot file (etcd bolt snapshots cannot be read by Trellis)');
  const length = pages.readBigUInt64LE(magic.length);
  if (length > BigInt(pages.length - headerBytes)) throw new RangeError(`snapshot length ${length} exceeds the file`);
  return pages.subarray(headerBytes, headerBytes + Number(length));
}
