// Small files that must be either the old version or the new one after any
// crash: Raft's hard state, a snapshot, a member list. The new contents are
// made durable under a temporary name, renamed over the old file, and the
// directory synced, so the rename itself is durable. A checksum catches
// what the disk may still do to the bytes afterwards.
//
// Header (16 bytes, little-endian): magic u32, format version u16, unused
// u16, data length u32, CRC-32C u32. Version 1's checksum runs over the
// version, length and data, in that order; version 2's over the data and
// then the version and length, so a file whose data comes in pieces of
// unknown total length can be checksummed while it is written. Both are read.

import { crc32c } from '@node-rs/crc32';
import { assert, fail } from '../assert.js';
import type { Disk, DiskFile } from '../runtime/disk.js';
import { LogCorruptionError, LogFormatError } from './errors.js';

const MAGIC = 0x46544154; // "TATF" read as little-endian u32
const WRITTEN_VERSION = 2;
const READ_VERSIONS: ReadonlySet<number> = new Set([1, 2]);
const HEADER_BYTES = 16;
/** Where a checksummed file's data starts. */
export const ATOMIC_FILE_HEADER_BYTES = HEADER_BYTES;
export const ATOMIC_FILE_TEMPORARY_SUFFIX = '.tmp';
/**
 * A big file (a snapshot) is written and synced this much at a time: the disk
 * then never holds more than this of it unsynced, for the log's next
 * fdatasync to wait behind (on ext4 a log's sync also flushes other files'
 * dirty data), so a snapshot does not stall writes. Reading one back to check
 * it goes this much at a time too.
 */
const sliceBytes = 4 * 1024 * 1024;

/**
 * Replaces the file at `path` with `data`, durably and atomically. `data` may
 * come in pieces (a snapshot's head and its state), even pieces made only as
 * they are asked for: each is written as it comes, never joined into one copy.
 */
export async function writeAtomicFile(disk: Disk, path: string, data: Uint8Array | Iterable<Uint8Array>): Promise<void> {
  const pieces = data instanceof Uint8Array ? [data] : data;
  const temporaryPath = `${path}${ATOMIC_FILE_TEMPORARY_SUFFIX}`;
  const file = await disk.open(temporaryPath, { create: true });
  try {
    // A leftover from an interrupted write may be longer than the new contents.
    await file.truncate(0);
    let at = HEADER_BYTES;
    let unsyncedBytes = 0;
    // Taken slice by slice as the data is written (a big file's would otherwise be one long stretch of work).
    let crc = 0;
    for (const piece of pieces) {
      for (let from = 0; from < piece.length; from += sliceBytes) {
        const slice = piece.subarray(from, Math.min(piece.length, from + sliceBytes));
        crc = crc32c(slice, crc);
        await file.write(at, slice);
        at += slice.length;
        unsyncedBytes += slice.length;
        if (unsyncedBytes >= sliceBytes) {
          await file.datasync();
          unsyncedBytes = 0;
        }
      }
    }
    const dataBytes = at - HEADER_BYTES;
    if (!(dataBytes <= 0xffff_ffff)) fail(`${path} would hold ${dataBytes} bytes, more than its header can count`);
    // The header that holds the length and the checksum goes last.
    const header = new Uint8Array(HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint16(4, WRITTEN_VERSION, true);
    view.setUint32(8, dataBytes, true);
    view.setUint32(12, crc32c(header.subarray(4, 12), crc), true);
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
  const { version, dataBytes, checksum } = readHeader(path, bytes, bytes.length);
  const data = bytes.subarray(HEADER_BYTES);
  assert(data.length === dataBytes, 'the header was checked against the file size');
  const crc = version === 1 ? crc32c(data, crc32c(bytes.subarray(4, 12))) : crc32c(bytes.subarray(4, 12), crc32c(data));
  if (crc !== checksum) throw new LogCorruptionError(path, HEADER_BYTES, 'checksum mismatch');
  return data.slice();
}

/**
 * Opens a file written by writeAtomicFile and checks it without holding it
 * whole: its data is read a slice at a time, each slice handed to `onSlice`
 * (offset within the data, bytes, the data's whole length) as it goes. Returns the open file (the
 * caller closes it) and the length of its data, which starts at
 * ATOMIC_FILE_HEADER_BYTES; undefined if it never completed once. Throws on
 * corruption, having closed the file.
 */
export async function openAtomicFile(
  disk: Disk, path: string, onSlice: (offsetBytes: number, slice: Uint8Array, dataBytes: number) => void = () => {},
): Promise<{ readonly file: DiskFile; readonly dataBytes: number } | undefined> {
  if (!(await disk.exists(path))) return undefined;
  const file = await disk.open(path, { create: false });
  try {
    const fileBytes = await file.sizeBytes();
    const headerBytes = await file.read(0, HEADER_BYTES);
    const { version, dataBytes, checksum } = readHeader(path, headerBytes, fileBytes);
    const fields = headerBytes.subarray(4, 12);
    let crc = version === 1 ? crc32c(fields) : 0;
    let offset = 0;
    while (offset < dataBytes) {
      const slice = await file.read(HEADER_BYTES + offset, Math.min(sliceBytes, dataBytes - offset));
      if (slice.length === 0) throw new LogCorruptionError(path, HEADER_BYTES + offset, 'file ended while being read');
      crc = crc32c(slice, crc);
      onSlice(offset, slice, dataBytes);
      offset += slice.length;
    }
    if (version !== 1) crc = crc32c(fields, crc);
    if (crc !== checksum) throw new LogCorruptionError(path, HEADER_BYTES, 'checksum mismatch');
    return { file, dataBytes };
  } catch (error) {
    await file.close();
    throw error;
  }
}

function readHeader(path: string, header: Uint8Array, fileBytes: number): { version: number; dataBytes: number; checksum: number } {
  if (fileBytes < HEADER_BYTES || header.length < HEADER_BYTES) {
    throw new LogCorruptionError(path, 0, `file of ${fileBytes} bytes is shorter than its header`);
  }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new LogFormatError(path, 'is not a Trellis checksummed file (bad magic number)');
  const version = view.getUint16(4, true);
  if (!READ_VERSIONS.has(version)) {
    throw new LogFormatError(path, `has format version ${version}, and this build reads only versions ${[...READ_VERSIONS].join(' and ')}`);
  }
  const dataBytes = view.getUint32(8, true);
  if (HEADER_BYTES + dataBytes !== fileBytes) {
    throw new LogCorruptionError(path, 8, `header says ${dataBytes} bytes of data, the file holds ${fileBytes - HEADER_BYTES}`);
  }
  return { version, dataBytes, checksum: view.getUint32(12, true) };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : path.slice(0, slash);
}
