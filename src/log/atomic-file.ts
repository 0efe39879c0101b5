// Small files that must be either the old version or the new one after any
// crash: Raft's hard state, a snapshot, a member list. The new contents are
// made durable under a temporary name, renamed over the old file, and the
// directory synced, so the rename itself is durable. A checksum catches
// what the disk may still do to the bytes afterwards.

import { crc32c } from '@node-rs/crc32';
import type { Disk } from '../runtime/disk.js';
import { LogCorruptionError, LogFormatError } from './errors.js';

const MAGIC = 0x46544154; // "TATF" read as little-endian u32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;
export const ATOMIC_FILE_TEMPORARY_SUFFIX = '.tmp';
/**
 * A big file (a snapshot) is written and synced this much at a time: the disk
 * then never holds more than this of it unsynced, for the log's next
 * fdatasync to wait behind (on ext4 a log's sync also flushes other files'
 * dirty data), so a snapshot does not stall writes.
 */
const syncEveryBytes = 4 * 1024 * 1024;

/**
 * Replaces the file at `path` with `data`, durably and atomically. `data` may
 * come in pieces (a snapshot's header and its state): they are written one
 * after another, never joined into one copy.
 */
export async function writeAtomicFile(disk: Disk, path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const pieces = data instanceof Uint8Array ? [data] : data;
  let dataBytes = 0;
  for (const piece of pieces) dataBytes += piece.length;
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint32(8, dataBytes, true);
  // The checksum is taken slice by slice as the data is written (a big file's
  // would otherwise be one long stretch of work), and the header that holds it goes last.
  let crc = crc32c(header.subarray(4, 12));

  const temporaryPath = `${path}${ATOMIC_FILE_TEMPORARY_SUFFIX}`;
  const file = await disk.open(temporaryPath, { create: true });
  try {
    // A leftover from an interrupted write may be longer than the new contents.
    await file.truncate(0);
    let at = HEADER_BYTES;
    let unsyncedBytes = 0;
    for (const piece of pieces) {
      for (let from = 0; from < piece.length; from += syncEveryBytes) {
        const slice = piece.subarray(from, Math.min(piece.length, from + syncEveryBytes));
        crc = crc32c(slice, crc);
        await file.write(at, slice);
        at += slice.length;
        unsyncedBytes += slice.length;
        if (unsyncedBytes >= syncEveryBytes) {
          await file.datasync();
          unsyncedBytes = 0;
        }
      }
    }
    view.setUint32(12, crc, true);
    await file.write(0, header);
    await file.datasync();
  } finally {
    await file.close();
  }
  await disk.rename(temporaryPath, path);
  await disk.syncDirectory(parentOf(path));
}

/** The contents last written by writeAtomicFile, or undefined if it never completed once. Throws on corruption. */
export async function readAtomicFile(disk: Disk, path: string): Promise<Uint8Array | undefined> {
  if (!(await disk.exists(path))) return undefined;
  const file = await disk.open(path, { create: false });
  let bytes: Uint8Array;
  try {
    bytes = await file.read(0, await file.sizeBytes());
  } finally {
    await file.close();
  }
  if (bytes.length < HEADER_BYTES) throw new LogCorruptionError(path, 0, `file of ${bytes.length} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new LogFormatError(path, 'is not a Trellis checksummed file (bad magic number)');
  const version = view.getUint16(4, true);
  if (version !== FORMAT_VERSION) {
    throw new LogFormatError(path, `has format version ${version}, and this build reads only version ${FORMAT_VERSION}`);
  }
  const length = view.getUint32(8, true);
  if (HEADER_BYTES + length !== bytes.length) {
    throw new LogCorruptionError(path, 8, `header says ${length} bytes of data, the file holds ${bytes.length - HEADER_BYTES}`);
  }
  const data = bytes.subarray(HEADER_BYTES);
  if (view.getUint32(12, true) !== crc32c(data, crc32c(bytes.subarray(4, 12)))) {
    throw new LogCorruptionError(path, HEADER_BYTES, 'checksum mismatch');
  }
  return data.slice();
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : path.slice(0, slash);
}
