// One segment file of the Segmented Log: its name, its in-memory sparse index,
// and the two ways of walking its records (recovery's scan, and reads).

import { fail } from '../assert.js';
import type { DiskFile } from '../runtime/disk.js';
import { LogCorruptionError } from './errors.js';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  decodeRecord,
  findLaterRecordHeader,
  type LogRecord,
  type RecordDecoding,
} from './record-format.js';

const SEGMENT_NAME = /^(\d{8})-(\d{20})\.seg$/;
export const TEMPORARY_SUFFIX = '.tmp';

export function segmentFileName(generation: number, firstIndex: number): string {
  return `${String(generation).padStart(8, '0')}-${String(firstIndex).padStart(20, '0')}.seg`;
}

export function parseSegmentFileName(name: string): { generation: number; firstIndex: number } | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  return { generation: Number(match[1]), firstIndex: Number(match[2]) };
}

export function isTemporarySegmentName(name: string): boolean {
  return name.endsWith(TEMPORARY_SUFFIX) && parseSegmentFileName(name.slice(0, -TEMPORARY_SUFFIX.length)) !== undefined;
}

/**
 * What the log knows about one segment. Memory per segment is bounded by its
 * record count divided by `indexStrideRecords`: only every stride-th record's
 * offset is kept, and reads walk forward from the nearest one.
 */
export class Segment {
  /** Records whose bytes are in the file (written, and durable once the writer's sync returns). */
  recordCount = 0;
  /** Where the next record goes: the header plus every record's frame. */
  sizeBytes = SEGMENT_HEADER_BYTES;
  /** The file's size: sizeBytes, plus any zeros written ahead (WriteAheadLogOptions.preallocateBytes). */
  allocatedBytes = SEGMENT_HEADER_BYTES;
  /** sparseOffsets[k] is the offset of record firstIndex + k * indexStrideRecords. */
  readonly sparseOffsets: number[] = [];

  constructor(
    readonly path: string,
    readonly generation: number,
    readonly firstIndex: number,
    readonly createdAtWallMs: number,
    readonly file: DiskFile,
    private readonly indexStrideRecords: number,
  ) {}

  get lastIndex(): number {
    return this.firstIndex + this.recordCount - 1;
  }

  /** Accounts for a record just written at `offsetBytes`. */
  noteAppended(offsetBytes: number, frameBytes: number): void {
    if (offsetBytes !== this.sizeBytes) fail(`record written at ${offsetBytes}, segment ends at ${this.sizeBytes}`);
    if (this.recordCount % this.indexStrideRecords === 0) this.sparseOffsets.push(offsetBytes);
    this.recordCount++;
    this.sizeBytes += frameBytes;
  }

  /** Forgets records from `index` on; the caller truncates the file to the returned offset. */
  async forgetFrom(index: number, readChunkBytes: number): Promise<number> {
    if (!(index >= this.firstIndex && index <= this.lastIndex + 1)) fail(`forget from ${index} outside ${this.firstIndex}..${this.lastIndex + 1}`);
    const offset = await this.offsetOf(index, readChunkBytes);
    this.recordCount = index - this.firstIndex;
    this.sizeBytes = offset;
    this.sparseOffsets.length = Math.ceil(this.recordCount / this.indexStrideRecords);
    return offset;
  }

  /**
   * Reads records from `fromIndex` to `lastIndex` (both within this segment),
   * at most `maxRecords` of them, stopping before `maxBytes` of data unless
   * `takeOneRegardless` and nothing was taken yet.
   */
  async read(fromIndex: number, lastIndex: number, maxRecords: number, maxBytes: number, takeOneRegardless: boolean, readChunkBytes: number): Promise<LogRecord[]> {
    if (!(fromIndex >= this.firstIndex && lastIndex <= this.lastIndex)) fail(`read ${fromIndex}..${lastIndex} outside ${this.firstIndex}..${this.lastIndex}`);
    const records: LogRecord[] = [];
    const cursor = new FrameCursor(this.file, this.sizeBytes, readChunkBytes);
    let [index, offset] = this.nearestIndexed(fromIndex);
    let takenBytes = 0;
    while (index <= lastIndex && records.length < maxRecords) {
      const decoded = await cursor.decodeAt(offset, index);
      if (decoded.kind !== 'ok') throw new LogCorruptionError(this.path, offset, describeFailure(decoded));
      if (index >= fromIndex) {
        const canExceed = takeOneRegardless && records.length === 0;
        if (!canExceed && takenBytes + decoded.record.data.length > maxBytes) break;
        // Copy out, so a caller holding the record does not pin the read buffer.
        records.push({ index: decoded.record.index, type: decoded.record.type, data: decoded.record.data.slice() });
        takenBytes += decoded.record.data.length;
      }
      offset += decoded.frameBytes;
      index++;
    }
    return records;
  }

  private async offsetOf(index: number, readChunkBytes: number): Promise<number> {
    if (index === this.lastIndex + 1) return this.sizeBytes;
    const cursor = new FrameCursor(this.file, this.sizeBytes, readChunkBytes);
    let [at, offset] = this.nearestIndexed(index);
    while (at < index) {
      const decoded = await cursor.decodeAt(offset, at);
      if (decoded.kind !== 'ok') throw new LogCorruptionError(this.path, offset, describeFailure(decoded));
      offset += decoded.frameBytes;
      at++;
    }
    return offset;
  }

  private nearestIndexed(index: number): [number, number] {
    const slot = Math.floor((index - this.firstIndex) / this.indexStrideRecords);
    const offset = this.sparseOffsets[slot];
    if (offset === undefined) fail(`no sparse index slot ${slot} for record ${index} in ${this.path}`);
    return [this.firstIndex + slot * this.indexStrideRecords, offset];
  }
}

export interface ScanOutcome {
  /** Set when the segment ended in a torn write that was not cut yet; the caller truncates the file there. */
  readonly tornAtBytes?: number;
  readonly tornReason?: string;
}

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Walks every record of a freshly opened segment, filling in its count and
 * sparse index. A record that fails its checks is a torn tail only when
 * nothing intact follows it in the last segment; anywhere else it is
 * corruption, because cutting there would drop acknowledged records.
 */
export async function scanSegment(
  segment: Segment,
  fileSizeBytes: number,
  isLastSegment: boolean,
  readChunkBytes: number,
): Promise<ScanOutcome> {
  const cursor = new FrameCursor(segment.file, fileSizeBytes, readChunkBytes);
  let offset = SEGMENT_HEADER_BYTES;
  let index = segment.firstIndex;
  while (offset < fileSizeBytes) {
    const decoded = await cursor.decodeAt(offset, index);
    if (decoded.kind === 'ok') {
      segment.noteAppended(offset, decoded.frameBytes);
      offset += decoded.frameBytes;
      index++;
      continue;
    }
    const rest = decoded.kind === 'incomplete' && offset + RECORD_HEADER_BYTES <= fileSizeBytes ? null : await segment.file.read(offset, fileSizeBytes - offset);
    // Nothing but zeros from here to the end of the file is space written ahead and not used yet: the segment
    // simply ends here (a segment rolled before its preallocation was used up ends so too). Anything else, even
    // zeros followed by the remains of a torn write, is judged as a torn tail or corruption.
    if (rest !== null && decoded.kind !== 'bad-data' && allZero(rest)) {
      segment.allocatedBytes = fileSizeBytes;
      return {};
    }
    // A torn write leaves nothing intact behind it. Look past the damage: past
    // the whole frame when its header is sound, else from the next byte.
    const searchFrom = decoded.kind === 'bad-data' ? decoded.frameBytes : 1;
    const later = rest === null || decoded.kind === 'incomplete' ? undefined : findLaterRecordHeader(rest, searchFrom, index - 1);
    if (!isLastSegment || later !== undefined) {
      const where = later === undefined ? 'in a segment that is not the last' : `with an intact record at byte ${offset + later}`;
      throw new LogCorruptionError(segment.path, offset, `${describeFailure(decoded)} for record ${index}, ${where}`);
    }
    return { tornAtBytes: offset, tornReason: describeFailure(decoded) };
  }
  segment.allocatedBytes = fileSizeBytes;
  return {};
}

function describeFailure(decoded: Exclude<RecordDecoding, { kind: 'ok' }>): string {
  switch (decoded.kind) {
    case 'incomplete':
      return 'record cut short by the end of the file';
    case 'bad-header':
      return decoded.detail;
    case 'bad-data':
      return 'record data checksum mismatch';
  }
}

/** Sequential reads of frames through a buffer of `readChunkBytes`, so a scan is a few large reads, not many small ones. */
class FrameCursor {
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferStart = 0;

  constructor(
    private readonly file: DiskFile,
    private readonly endBytes: number,
    private readonly readChunkBytes: number,
  ) {}

  async decodeAt(offset: number, expectedIndex: number): Promise<RecordDecoding> {
    await this.cover(offset, RECORD_HEADER_BYTES);
    let decoded = decodeRecord(this.buffer, offset - this.bufferStart, expectedIndex);
    if (decoded.kind !== 'incomplete' || offset + RECORD_HEADER_BYTES > this.endBytes) return decoded;
    // The header was checked, so its length can be trusted to size the next read.
    const dataLength = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset - this.bufferStart + 4, 4).getUint32(0, true);
    const frame = RECORD_HEADER_BYTES + dataLength;
    if (offset + frame > this.endBytes) return decoded;
    await this.cover(offset, frame);
    decoded = decodeRecord(this.buffer, offset - this.bufferStart, expectedIndex);
    return decoded;
  }

  private async cover(offset: number, lengthBytes: number): Promise<void> {
    const want = Math.min(lengthBytes, this.endBytes - offset);
    if (offset >= this.bufferStart && offset + want <= this.bufferStart + this.buffer.length) return;
    const readLength = Math.min(Math.max(lengthBytes, this.readChunkBytes), this.endBytes - offset);
    this.buffer = await this.file.read(offset, readLength);
    this.bufferStart = offset;
  }
}
