// The bytes of a segment: a header naming the format, then framed records.
//
// Each record frame carries two CRC32C checksums: one over its header (so the
// length can be trusted before it is used to find the next record) and one
// over its data. The header includes the record's index, so a record that
// somehow lands in the wrong place (a stale page, a misdirected write) fails
// its check rather than being served as a different entry.

import { crc32c } from '@node-rs/crc32';
import { fail } from '../assert.js';
import { logIndex, type LogIndex } from '../ids.js';

export const SEGMENT_MAGIC = 0x4c415754; // "TWAL" read as little-endian u32
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 40;
export const RECORD_HEADER_BYTES = 24;
export const MAX_RECORD_TYPE = 0xffff;

export interface SegmentHeader {
  readonly generation: number;
  readonly firstIndex: number;
  /** Wall-clock time the segment was created; retention uses it as an upper bound on the previous segment's newest record. */
  readonly createdAtWallMs: number;
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = viewOf(bytes);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint16(4, SEGMENT_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, header.generation, true);
  view.setBigUint64(16, BigInt(header.firstIndex), true);
  view.setFloat64(24, header.createdAtWallMs, true);
  view.setUint32(32, crc32c(bytes.subarray(0, 32)), true);
  return bytes;
}

export type HeaderDecoding =
  | { readonly kind: 'ok'; readonly header: SegmentHeader }
  | { readonly kind: 'short' }
  | { readonly kind: 'not-a-segment' }
  | { readonly kind: 'unknown-version'; readonly version: number }
  | { readonly kind: 'corrupt' };

export function decodeSegmentHeader(bytes: Uint8Array): HeaderDecoding {
  if (bytes.length < SEGMENT_HEADER_BYTES) return { kind: 'short' };
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return { kind: 'not-a-segment' };
  const version = view.getUint16(4, true);
  if (version !== SEGMENT_FORMAT_VERSION) return { kind: 'unknown-version', version };
  if (view.getUint32(32, true) !== crc32c(bytes.subarray(0, 32))) return { kind: 'corrupt' };
  const firstIndex = Number(view.getBigUint64(16, true));
  return {
    kind: 'ok',
    header: { generation: view.getUint32(8, true), firstIndex, createdAtWallMs: view.getFloat64(24, true) },
  };
}

export interface LogRecord {
  readonly index: LogIndex;
  readonly type: number;
  readonly data: Uint8Array;
}

export function frameBytes(dataBytes: number): number {
  return RECORD_HEADER_BYTES + dataBytes;
}

/** Writes one frame into `target` at `offset`; returns the offset just past it. */
export function encodeRecord(target: Uint8Array, offset: number, index: number, type: number, data: Uint8Array): number {
  if (!(Number.isInteger(type) && type >= 0 && type <= MAX_RECORD_TYPE)) fail(`record type ${type} is not in 0..${MAX_RECORD_TYPE}`);
  const view = new DataView(target.buffer, target.byteOffset + offset, RECORD_HEADER_BYTES);
  view.setUint32(4, data.length, true);
  view.setBigUint64(8, BigInt(index), true);
  view.setUint16(16, type, true);
  view.setUint16(18, 0, true);
  view.setUint32(20, crc32c(data), true);
  view.setUint32(0, crc32c(target.subarray(offset + 4, offset + RECORD_HEADER_BYTES)), true);
  target.set(data, offset + RECORD_HEADER_BYTES);
  return offset + RECORD_HEADER_BYTES + data.length;
}

export type RecordDecoding =
  | { readonly kind: 'ok'; readonly record: LogRecord; readonly frameBytes: number }
  /** The bytes end before the frame does: read more, or at the end of the file, a torn write. */
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'bad-header'; readonly detail: string }
  | { readonly kind: 'bad-data'; readonly frameBytes: number };

/**
 * Decodes the frame at `offset`, which must hold record `expectedIndex`.
 * The returned data is a view into `bytes`.
 */
export function decodeRecord(bytes: Uint8Array, offset: number, expectedIndex: number): RecordDecoding {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { kind: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  if (view.getUint32(0, true) !== crc32c(bytes.subarray(offset + 4, offset + RECORD_HEADER_BYTES))) {
    return { kind: 'bad-header', detail: 'record header checksum mismatch' };
  }
  const dataLength = view.getUint32(4, true);
  const index = Number(view.getBigUint64(8, true));
  if (index !== expectedIndex) return { kind: 'bad-header', detail: `record index ${index} where ${expectedIndex} belongs` };
  if (view.getUint16(18, true) !== 0) return { kind: 'bad-header', detail: 'reserved record header bits are set' };
  const end = offset + RECORD_HEADER_BYTES + dataLength;
  if (end > bytes.length) return { kind: 'incomplete' };
  const data = bytes.subarray(offset + RECORD_HEADER_BYTES, end);
  if (view.getUint32(20, true) !== crc32c(data)) return { kind: 'bad-data', frameBytes: end - offset };
  return { kind: 'ok', record: { index: logIndex(index), type: view.getUint16(16, true), data }, frameBytes: end - offset };
}

/**
 * Whether a record header for an index above `afterIndex` appears anywhere at
 * or after `fromOffset`. Used only when a header fails its check: if a later
 * record is intact, the damage is in the middle of the log, not a torn tail.
 */
export function findLaterRecordHeader(bytes: Uint8Array, fromOffset: number, afterIndex: number): number | undefined {
  const view = viewOf(bytes);
  for (let offset = fromOffset; offset + RECORD_HEADER_BYTES <= bytes.length; offset++) {
    // Cheap filter on the index field before paying for a checksum.
    const high = view.getUint32(offset + 12, true);
    if (high > 0x1fffff) continue;
    const index = high * 0x1_0000_0000 + view.getUint32(offset + 8, true);
    if (index <= afterIndex) continue;
    if (view.getUint32(offset, true) === crc32c(bytes.subarray(offset + 4, offset + RECORD_HEADER_BYTES))) return offset;
  }
  return undefined;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
