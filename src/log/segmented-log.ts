// The Segmented Log: the ordered set of segment files and every change to
// it. Each change is ordered so that a crash part way leaves a log recovery
// accepts: rolls write the new segment whole before it is named, truncation
// removes the newest files first, the Low-Water Mark removes the oldest first,
// and a reset writes the new generation before deleting the old.
// Callers run one change at a time (the WriteAheadLog's queue sees to it).

import { fail } from '../assert.js';
import type { Disk } from '../runtime/disk.js';
import { encodeRecord, type LogRecord } from './record-format.js';
import { createSegment } from './recovery.js';
import type { Segment } from './segment.js';
import { scratchBytes } from '../scratch-bytes.js';

export interface SegmentedLogOptions {
  readonly segmentSizeBytes: number;
  readonly indexStrideRecords: number;
  readonly readChunkBytes: number;
  /** Zeros written ahead of the active segment's end at a time (0: none); see WriteAheadLogOptions. */
  readonly preallocateBytes: number;
  readonly nowWallMs: () => number;
}

export interface EncodedRecord {
  readonly type: number;
  readonly data: Uint8Array;
}

export class SegmentedLog {
  constructor(
    private readonly disk: Disk,
    readonly directory: string,
    private segments: Segment[],
    private readonly options: SegmentedLogOptions,
  ) {
    if (!(segments.length > 0)) fail(`log in ${directory} has no segment`);
  }

  get firstIndex(): number {
    return this.segments[0]!.firstIndex;
  }

  get lastIndex(): number {
    return this.last.lastIndex;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get last(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Writes records `firstIndex`.. in one write and one fdatasync; rolls first if they would overflow the active segment. */
  async appendDurably(firstIndex: number, records: readonly EncodedRecord[], totalFrameBytes: number): Promise<void> {
    let segment = this.last;
    if (segment.recordCount > 0 && segment.sizeBytes + totalFrameBytes > this.options.segmentSizeBytes) {
      // A batch never spans two files, so every segment but the last is whole and synced.
      segment = await createSegment(this.disk, this.directory, segment.generation, firstIndex, this.options);
      this.segments.push(segment);
    }
    if (segment.lastIndex + 1 !== firstIndex) fail(`batch starts at ${firstIndex}, log ends at ${segment.lastIndex}`);
    const start = segment.sizeBytes;
    const end = start + totalFrameBytes;
    // Past the zeros written ahead: write the next stretch of zeros with these records, in the same write and sync.
    const preallocate = this.options.preallocateBytes > 0 && end > segment.allocatedBytes;
    const writeEnd = preallocate ? Math.max(end, Math.min(end + this.options.preallocateBytes, this.options.segmentSizeBytes)) : end;
    // The zeros written ahead must be zeros; the records' bytes are all written below.
    const bytes = preallocate ? new Uint8Array(writeEnd - start) : scratchBytes(writeEnd - start);
    const frames: number[] = [];
    let offset = 0;
    for (const [n, record] of records.entries()) {
      const next = encodeRecord(bytes, offset, firstIndex + n, record.type, record.data);
      frames.push(next - offset);
      offset = next;
    }
    if (offset !== totalFrameBytes) fail(`encoded ${offset} bytes, expected ${totalFrameBytes}`);
    await segment.file.write(start, bytes);
    await segment.file.datasync();
    segment.allocatedBytes = Math.max(segment.allocatedBytes, writeEnd);
    // Only now may readers see them: read serves durable records only.
    let at = start;
    for (const frame of frames) {
      segment.noteAppended(at, frame);
      at += frame;
    }
  }

  /** Records fromIndex..lastIndex, at most maxRecords and maxBytes of data (at least one record). */
  async read(fromIndex: number, lastIndex: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
    if (fromIndex < this.firstIndex) throw new RangeError(`record ${fromIndex} is below the log's first record ${this.firstIndex}: it was released`);
    const records: LogRecord[] = [];
    let takenBytes = 0;
    let index = fromIndex;
    for (const segment of this.segments) {
      if (index > lastIndex || records.length >= maxRecords) break;
      if (segment.lastIndex < index) continue;
      if (!(segment.firstIndex <= index)) fail(`segments skip from record ${index} to ${segment.firstIndex}`);
      const last = Math.min(segment.lastIndex, lastIndex);
      const wanted = Math.min(maxRecords - records.length, last - index + 1);
      const taken = await segment.read(index, last, wanted, maxBytes - takenBytes, records.length === 0, this.options.readChunkBytes);
      for (const record of taken) {
        records.push(record);
        takenBytes += record.data.length;
      }
      index += taken.length;
      if (taken.length < wanted) break;
    }
    return records;
  }

  async truncateAfter(afterIndex: number): Promise<void> {
    if (!(afterIndex >= this.firstIndex - 1)) fail(`truncateAfter(${afterIndex}) reaches below released records (first is ${this.firstIndex})`);
    // Newest first, and durably before the cut below: a crash part way leaves
    // a shorter prefix of the old log, never a log with a hole in it.
    let removed = 0;
    while (this.segments.length > 1 && this.last.firstIndex > afterIndex) {
      await this.removeFile(this.segments.pop()!);
      removed++;
    }
    if (removed > 0) await this.disk.syncDirectory(this.directory);
    const segment = this.last;
    if (afterIndex < segment.lastIndex) {
      const offset = await segment.forgetFrom(afterIndex + 1, this.options.readChunkBytes);
      await segment.file.truncate(offset);
      await segment.file.datasync();
      segment.allocatedBytes = offset;
    }
  }

  /** Removes segments from the front while the segment after each satisfies `removable`; never the last. Returns how many. */
  async removeOldest(removable: (next: Segment) => boolean): Promise<number> {
    let removed = 0;
    // Oldest first: a crash part way leaves a suffix, which is still a log.
    while (this.segments.length > 1 && removable(this.segments[1]!)) {
      await this.removeFile(this.segments.shift()!);
      removed++;
    }
    if (removed > 0) await this.disk.syncDirectory(this.directory);
    return removed;
  }

  /** Replaces every segment with one empty segment of the next generation starting at `firstIndex`. */
  async reset(firstIndex: number): Promise<void> {
    const old = this.segments;
    // The new generation is durable before anything old is removed; recovery
    // treats any older generation it finds as an unfinished cleanup.
    this.segments = [await createSegment(this.disk, this.directory, this.last.generation + 1, firstIndex, this.options)];
    for (const segment of old) await this.removeFile(segment);
    await this.disk.syncDirectory(this.directory);
  }

  async close(): Promise<void> {
    for (const segment of this.segments) await segment.file.close().catch(() => {});
  }

  private async removeFile(segment: Segment): Promise<void> {
    await segment.file.close();
    await this.disk.remove(segment.path);
  }
}
