// Opening a log directory after a clean shutdown, a process crash or a power
// cut. What is on disk is judged, never guessed at: a torn tail is cut and
// reported, anything else that fails a check stops the node with the file
// and offset, and files the log did not write are refused.

import type { Disk } from '../runtime/disk.js';
import type { Logger } from '../runtime/logger.js';
import { LogCorruptionError, LogFormatError } from './errors.js';
import { SEGMENT_FORMAT_VERSION, SEGMENT_HEADER_BYTES, decodeSegmentHeader, encodeSegmentHeader } from './record-format.js';
import { Segment, TEMPORARY_SUFFIX, isTemporarySegmentName, parseSegmentFileName, scanSegment, segmentFileName } from './segment.js';

export interface TornTail {
  readonly file: string;
  readonly offsetBytes: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface RecoveryReport {
  readonly segments: number;
  readonly firstIndex: number;
  /** firstIndex - 1 when the log is empty. */
  readonly lastIndex: number;
  readonly tornTail?: TornTail;
  /** Leftovers of interrupted operations: temporary segments and segments of a superseded generation. */
  readonly removedFiles: readonly string[];
}

export interface RecoveryOptions {
  readonly initialFirstIndex: number;
  readonly indexStrideRecords: number;
  readonly readChunkBytes: number;
  readonly nowWallMs: () => number;
  readonly logger: Logger;
}

export interface Recovered {
  readonly segments: Segment[];
  readonly report: RecoveryReport;
}

export async function recoverLog(disk: Disk, directory: string, options: RecoveryOptions): Promise<Recovered> {
  await disk.makeDirectory(directory);
  const removedFiles: string[] = [];
  const candidates: { name: string; generation: number; firstIndex: number }[] = [];
  for (const name of await disk.list(directory)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== undefined) candidates.push({ name, ...parsed });
    else if (isTemporarySegmentName(name)) removedFiles.push(name);
    else {
      throw new LogFormatError(
        `${directory}/${name}`,
        'is not a write-ahead log file; the log directory must hold only its segments (GGGGGGGG-IIIIIIIIIIIIIIIIIIII.seg): move the file elsewhere',
      );
    }
  }
  // resetTo writes a new generation before deleting the old one, so the newest
  // generation present is the log, and older ones are an unfinished cleanup.
  const generation = Math.max(0, ...candidates.map((c) => c.generation));
  for (const candidate of candidates) if (candidate.generation < generation) removedFiles.push(candidate.name);
  for (const name of removedFiles) await disk.remove(`${directory}/${name}`);
  if (removedFiles.length > 0) {
    await disk.syncDirectory(directory);
    options.logger.info({ directory, removedFiles }, 'removed leftovers of interrupted log operations');
  }

  const current = candidates.filter((c) => c.generation === generation).sort((a, b) => a.firstIndex - b.firstIndex);
  const segments: Segment[] = [];
  let tornTail: TornTail | undefined;
  try {
    for (const [position, candidate] of current.entries()) {
      const segment = await openSegment(disk, `${directory}/${candidate.name}`, candidate, options);
      segments.push(segment);
      const previous = segments[segments.length - 2];
      if (previous !== undefined && segment.firstIndex !== previous.lastIndex + 1) {
        throw new LogCorruptionError(
          segment.path,
          0,
          `segment starts at record ${segment.firstIndex} but ${previous.path} ends at record ${previous.lastIndex}; records are missing`,
        );
      }
      const fileSizeBytes = await segment.file.sizeBytes();
      const isLast = position === current.length - 1;
      const outcome = await scanSegment(segment, fileSizeBytes, isLast, options.readChunkBytes);
      if (outcome.tornAtBytes !== undefined) {
        tornTail = {
          file: segment.path,
          offsetBytes: outcome.tornAtBytes,
          droppedBytes: fileSizeBytes - outcome.tornAtBytes,
          reason: outcome.tornReason ?? 'torn write',
        };
        options.logger.warn({ ...tornTail }, 'cut a torn write from the end of the log');
        await segment.file.truncate(outcome.tornAtBytes);
        segment.allocatedBytes = outcome.tornAtBytes;
      }
    }
    // A process crash (not a power cut) leaves written-but-unsynced records in
    // the page cache, where the scan found them. Make them durable before the
    // log reports them, or a later power cut could take back what it reported.
    for (const segment of segments) await segment.file.datasync();
    if (segments.length === 0) {
      segments.push(await createSegment(disk, directory, Math.max(1, generation), options.initialFirstIndex, options));
    }
  } catch (error) {
    for (const segment of segments) await segment.file.close().catch(() => {});
    throw error;
  }

  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  return {
    segments,
    report: { segments: segments.length, firstIndex: first.firstIndex, lastIndex: last.lastIndex, tornTail, removedFiles },
  };
}

async function openSegment(
  disk: Disk,
  path: string,
  named: { generation: number; firstIndex: number },
  options: RecoveryOptions,
): Promise<Segment> {
  const file = await disk.open(path, { create: false });
  try {
    const decoded = decodeSegmentHeader(await file.read(0, SEGMENT_HEADER_BYTES));
    switch (decoded.kind) {
      case 'short':
        throw new LogCorruptionError(path, 0, `segment is shorter than its ${SEGMENT_HEADER_BYTES}-byte header`);
      case 'not-a-segment':
        throw new LogFormatError(path, 'is not a Trellis write-ahead log segment (bad magic number): move it out of the log directory');
      case 'unknown-version':
        throw new LogFormatError(
          path,
          `has segment format version ${decoded.version}, and this build reads only version ${SEGMENT_FORMAT_VERSION}: open it with the Trellis release that wrote it`,
        );
      case 'corrupt':
        throw new LogCorruptionError(path, 0, 'segment header checksum mismatch');
      case 'ok':
        if (decoded.header.generation !== named.generation || decoded.header.firstIndex !== named.firstIndex) {
          throw new LogCorruptionError(
            path,
            0,
            `header says generation ${decoded.header.generation}, first record ${decoded.header.firstIndex}, which does not match the file name`,
          );
        }
        return new Segment(path, named.generation, named.firstIndex, decoded.header.createdAtWallMs, file, options.indexStrideRecords);
    }
  } catch (error) {
    await file.close().catch(() => {});
    throw error;
  }
}

/**
 * Creates an empty segment so that it appears whole or not at all: the header
 * is made durable under a temporary name, then renamed into place and the
 * directory synced. Recovery deletes temporary files it finds.
 */
export async function createSegment(
  disk: Disk,
  directory: string,
  generation: number,
  firstIndex: number,
  options: Pick<RecoveryOptions, 'indexStrideRecords' | 'nowWallMs'>,
): Promise<Segment> {
  const name = segmentFileName(generation, firstIndex);
  const path = `${directory}/${name}`;
  const temporaryPath = `${path}${TEMPORARY_SUFFIX}`;
  const createdAtWallMs = options.nowWallMs();
  const temporary = await disk.open(temporaryPath, { create: true });
  try {
    await temporary.truncate(0);
    await temporary.write(0, encodeSegmentHeader({ generation, firstIndex, createdAtWallMs }));
    await temporary.datasync();
  } finally {
    await temporary.close();
  }
  await disk.rename(temporaryPath, path);
  await disk.syncDirectory(directory);
  const file = await disk.open(path, { create: false });
  return new Segment(path, generation, firstIndex, createdAtWallMs, file, options.indexStrideRecords);
}
