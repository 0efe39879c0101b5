// The Write-Ahead Log, split into segments (Segmented Log) and trimmed from
// the front (Low-Water Mark). An append is acknowledged only once its record
// is on the platter; appends that arrive while one fdatasync is in flight wait
// and share the next one (group commit), which is what makes durable appends
// cheap. Operations run one at a time, in call order, from one queue, so
// record indices can be handed out synchronously.

import { assert, fail } from '../assert.js';
import { logIndex, type LogIndex } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import type { Disk } from '../runtime/disk.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { LogBusyError, LogFailedError } from './errors.js';
import { MAX_RECORD_TYPE, SEGMENT_HEADER_BYTES, frameBytes, type LogRecord } from './record-format.js';
import { recoverLog, type RecoveryReport } from './recovery.js';
import { SegmentedLog } from './segmented-log.js';

export type { LogRecord } from './record-format.js';
export type { RecoveryReport, TornTail } from './recovery.js';

export interface WriteAheadLogOptions {
  /** A segment rolls once the next batch would take it past this size. Default 64 MiB. */
  readonly segmentSizeBytes?: number;
  /**
   * Zeros written ahead of the active segment's end, this many bytes at a
   * time: appends then overwrite space the file already has, and fdatasync
   * has no file size to update, which on ext4 makes it several times faster
   * (no journal commit per sync). Default 0: off.
   */
  readonly preallocateBytes?: number;
  /** Largest record data accepted by append. Default 8 MiB (capped so one record fits a batch). */
  readonly maxRecordBytes?: number;
  /** Most records written by one fdatasync. Default 4096. */
  readonly maxBatchRecords?: number;
  /** Most frame bytes written by one fdatasync. Default 4 MiB (capped at what fits in a segment). */
  readonly maxBatchBytes?: number;
  /** Bytes of appends waiting for the disk beyond which append refuses with LogBusyError. Default 64 MiB. */
  readonly maxPendingBytes?: number;
  /** One record offset in this many is kept in memory per segment. Default 64. */
  readonly indexStrideRecords?: number;
  /** Size of the reads that scan and serve records. Default 1 MiB. */
  readonly readChunkBytes?: number;
  /** Where a brand-new log starts. Default 1. */
  readonly firstIndex?: number;
  /** Stamps segments with their creation time; needed for retentionMs. */
  readonly clock?: Clock;
  /** releaseExpired removes segments whose newest record is older than this. */
  readonly retentionMs?: number;
  readonly logger?: Logger;
}

export interface AppendRecord {
  /** 0..65535; the log does not interpret it. */
  readonly type: number;
  /** Must not change until the append settles. */
  readonly data: Uint8Array;
}

type Settle<T> = { resolve: (value: T) => void; reject: (error: unknown) => void };
type Operation =
  | ({ kind: 'append'; records: readonly AppendRecord[]; firstIndex: number; frameBytes: number } & Settle<LogIndex>)
  | ({ kind: 'truncate'; afterIndex: number } & Settle<void>)
  | ({ kind: 'release'; beforeIndex: number } & Settle<number>)
  | ({ kind: 'expire'; protectFromIndex: number } & Settle<number>)
  | ({ kind: 'reset'; firstIndex: number } & Settle<void>);

const MiB = 1024 * 1024;

export class WriteAheadLog {
  readonly segmentSizeBytes: number;
  readonly maxRecordBytes: number;
  readonly maxBatchRecords: number;
  readonly maxBatchBytes: number;
  readonly maxPendingBytes: number;
  private readonly logger: Logger;
  private readonly queue: Operation[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private pendingBytes = 0;
  private nextIndex: number;
  private logicalFirstIndex: number;
  private pendingResets = 0;
  /** Queued releases may remove records below this, so truncation may not reach under it. */
  private truncationFloor: number;
  private durableLastIndexValue: number;
  private failure_: LogFailedError | undefined;
  private closed = false;
  private batchesWrittenValue = 0;
  private activeReads = 0;
  private readsIdle: (() => void) | undefined;
  private maintenanceGate: Promise<void> | undefined;

  private constructor(
    private readonly files: SegmentedLog,
    readonly recovery: RecoveryReport,
    private readonly options: WriteAheadLogOptions,
  ) {
    this.segmentSizeBytes = options.segmentSizeBytes ?? 64 * MiB;
    if (!(this.segmentSizeBytes > SEGMENT_HEADER_BYTES + frameBytes(0))) fail(`segmentSizeBytes ${this.segmentSizeBytes} is too small`);
    this.maxBatchBytes = Math.min(options.maxBatchBytes ?? 4 * MiB, this.segmentSizeBytes - SEGMENT_HEADER_BYTES);
    this.maxRecordBytes = Math.min(options.maxRecordBytes ?? 8 * MiB, this.maxBatchBytes - frameBytes(0));
    this.maxBatchRecords = options.maxBatchRecords ?? 4096;
    this.maxPendingBytes = options.maxPendingBytes ?? 64 * MiB;
    this.logger = options.logger ?? silentLogger;
    assert(this.maxBatchRecords >= 1 && this.maxPendingBytes >= this.maxBatchBytes, 'batch and pending limits must admit one batch');
    this.logicalFirstIndex = files.firstIndex;
    this.truncationFloor = this.logicalFirstIndex;
    this.nextIndex = files.lastIndex + 1;
    this.durableLastIndexValue = this.nextIndex - 1;
  }

  /** Opens (creating if needed) the log in `directory`, recovering from whatever a crash left. */
  static async open(disk: Disk, directory: string, options: WriteAheadLogOptions = {}): Promise<WriteAheadLog> {
    const initialFirstIndex = options.firstIndex ?? 1;
    if (!(Number.isSafeInteger(initialFirstIndex) && initialFirstIndex >= 1)) fail(`firstIndex ${initialFirstIndex} must be a positive integer`);
    const logger = options.logger ?? silentLogger;
    const shape = {
      segmentSizeBytes: options.segmentSizeBytes ?? 64 * MiB,
      indexStrideRecords: options.indexStrideRecords ?? 64,
      readChunkBytes: options.readChunkBytes ?? MiB,
      preallocateBytes: options.preallocateBytes ?? 0,
      nowWallMs: () => options.clock?.wallNowMs() ?? 0,
    };
    const { segments, report } = await recoverLog(disk, directory, { ...shape, initialFirstIndex, logger });
    logger.info({ directory, ...report, tornTail: report.tornTail !== undefined }, 'opened write-ahead log');
    return new WriteAheadLog(new SegmentedLog(disk, directory, segments, shape), report, options);
  }

  /** The oldest record still held (or, after resetTo, the index the log restarts at). */
  get firstIndex(): LogIndex {
    return logIndex(this.logicalFirstIndex);
  }

  /** The newest record appended, durable or not; firstIndex - 1 when empty. */
  get lastIndex(): LogIndex {
    return logIndex(this.nextIndex - 1);
  }

  /** The newest record known to be durable; read serves up to here. */
  get durableLastIndex(): LogIndex {
    return logIndex(this.durableLastIndexValue);
  }

  /** Set once a write or sync failed; the log then refuses writes until reopened. */
  get failure(): LogFailedError | undefined {
    return this.failure_;
  }

  /** Batches written, one fdatasync each: appends divided by this is the group-commit factor. */
  get batchesWritten(): number {
    return this.batchesWrittenValue;
  }

  get segmentCount(): number {
    return this.files.segmentCount;
  }

  get directory(): string {
    return this.files.directory;
  }

  /**
   * Appends records as one unit. Indices are assigned now, in call order; the
   * promise resolves with the last one once every record is durable, or
   * rejects, in which case the records may or may not survive a restart.
   */
  append(records: readonly AppendRecord[]): Promise<LogIndex> {
    this.assertWritable();
    if (records.length === 0 || records.length > this.maxBatchRecords) {
      throw new RangeError(`append takes 1..${this.maxBatchRecords} records (maxBatchRecords), got ${records.length}`);
    }
    let bytes = 0;
    for (const record of records) {
      if (!Number.isInteger(record.type) || record.type < 0 || record.type > MAX_RECORD_TYPE) {
        throw new RangeError(`record type ${record.type} is not in 0..${MAX_RECORD_TYPE}`);
      }
      if (record.data.length > this.maxRecordBytes) {
        throw new RangeError(`record of ${record.data.length} bytes exceeds maxRecordBytes ${this.maxRecordBytes}`);
      }
      bytes += frameBytes(record.data.length);
    }
    if (bytes > this.maxBatchBytes) throw new RangeError(`append of ${bytes} bytes exceeds maxBatchBytes ${this.maxBatchBytes}`);
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      throw new LogBusyError(`${this.pendingBytes} bytes already wait for the disk (maxPendingBytes ${this.maxPendingBytes}): retry after earlier appends settle`);
    }
    this.pendingBytes += bytes;
    const firstIndex = this.nextIndex;
    this.nextIndex += records.length;
    return this.enqueue<LogIndex>((settle) => ({ kind: 'append', records, firstIndex, frameBytes: bytes, ...settle }));
  }

  /** Reads durable records from `fromIndex`: at most `maxRecords`, and at most `maxBytes` of data unless the first record alone is larger. */
  async read(fromIndex: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
    if (this.closed) throw new Error(`write-ahead log in ${this.directory} is closed`);
    // Truncation, release and reset change files under a reader's feet, so
    // reads wait for them, and they wait for reads. Appends never wait.
    while (this.maintenanceGate !== undefined) await this.maintenanceGate;
    this.activeReads++;
    try {
      return await this.files.read(fromIndex, this.durableLastIndexValue, maxRecords, maxBytes);
    } finally {
      this.activeReads--;
      if (this.activeReads === 0) this.readsIdle?.();
    }
  }

  /** Removes every record after `afterIndex`, durably; Raft uses it to drop a conflicting suffix. */
  truncateAfter(afterIndex: number): Promise<void> {
    this.assertWritable();
    const lowest = Math.max(this.logicalFirstIndex, this.truncationFloor) - 1;
    if (!Number.isSafeInteger(afterIndex) || afterIndex < lowest || afterIndex > this.nextIndex - 1) {
      throw new RangeError(`truncateAfter(${afterIndex}) outside ${lowest}..${this.nextIndex - 1} (records below the low-water mark are not truncated)`);
    }
    this.nextIndex = afterIndex + 1;
    return this.enqueue<void>((settle) => ({ kind: 'truncate', afterIndex, ...settle }));
  }

  /** Low-water mark: removes whole segments holding only records below `beforeIndex`. Resolves with how many. */
  releaseBefore(beforeIndex: number): Promise<number> {
    this.assertWritable();
    this.truncationFloor = Math.max(this.truncationFloor, Math.min(beforeIndex, this.nextIndex));
    return this.enqueue<number>((settle) => ({ kind: 'release', beforeIndex, ...settle }));
  }

  /**
   * Time-based retention: removes the oldest segments whose newest record is
   * older than retentionMs, never the active segment and never a segment
   * holding a record at or above `protectFromIndex`. Resolves with how many.
   */
  releaseExpired(protectFromIndex: number): Promise<number> {
    this.assertWritable();
    assert(this.options.clock !== undefined && this.options.retentionMs !== undefined, 'releaseExpired needs the clock and retentionMs options');
    this.truncationFloor = Math.max(this.truncationFloor, Math.min(protectFromIndex, this.nextIndex));
    return this.enqueue<number>((settle) => ({ kind: 'expire', protectFromIndex, ...settle }));
  }

  /**
   * Discards every record and restarts the log at `firstIndex` (after Raft
   * installs a snapshot at firstIndex - 1). Crash-atomic: a restart finds
   * either the old log or the new empty one.
   */
  resetTo(firstIndex: number): Promise<void> {
    this.assertWritable();
    if (!Number.isSafeInteger(firstIndex) || firstIndex < 1) throw new RangeError(`resetTo(${firstIndex}): index must be a positive integer`);
    this.logicalFirstIndex = firstIndex;
    this.truncationFloor = firstIndex;
    this.nextIndex = firstIndex;
    this.pendingResets++;
    return this.enqueue<void>((settle) => ({ kind: 'reset', firstIndex, ...settle }));
  }

  /** Waits for queued operations (a failure does not stop close), then closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drained;
    await this.files.close();
  }

  // ---- the queue ----

  private assertWritable(): void {
    if (this.failure_ !== undefined) throw this.failure_;
    if (this.closed) throw new Error(`write-ahead log in ${this.directory} is closed`);
  }

  private enqueue<T>(make: (settle: Settle<T>) => Operation): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => this.queue.push(make({ resolve, reject })));
    if (!this.draining) {
      this.draining = true;
      this.drained = this.drain();
    }
    return promise;
  }

  private async drain(): Promise<void> {
    // Let the appends of the current turn of the event loop join the first batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'append') {
          await this.run(this.takeBatch(), (batch) => this.writeBatch(batch));
        } else {
          this.queue.shift();
          await this.run([head], () => this.exclusively(() => this.runMaintenance(head)));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private takeBatch(): Operation[] {
    const batch: Operation[] = [];
    let records = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.kind !== 'append') break;
      if (batch.length > 0 && (records + next.records.length > this.maxBatchRecords || bytes + next.frameBytes > this.maxBatchBytes)) break;
      batch.push(this.queue.shift()!);
      records += next.records.length;
      bytes += next.frameBytes;
    }
    return batch;
  }

  private async run(operations: Operation[], work: (operations: Operation[]) => Promise<void>): Promise<void> {
    if (this.failure_ !== undefined) {
      for (const operation of operations) operation.reject(this.failure_);
      return;
    }
    try {
      await work(operations);
    } catch (error) {
      this.failure_ = new LogFailedError(this.directory, error);
      this.logger.error({ directory: this.directory, error: String(error) }, 'write-ahead log failed; refusing writes until reopened');
      for (const operation of operations) operation.reject(this.failure_);
      for (const operation of this.queue.splice(0)) operation.reject(this.failure_);
    } finally {
      for (const operation of operations) if (operation.kind === 'append') this.pendingBytes -= operation.frameBytes;
    }
  }

  private async exclusively(work: () => Promise<void>): Promise<void> {
    let openGate!: () => void;
    this.maintenanceGate = new Promise<void>((resolve) => (openGate = resolve));
    try {
      if (this.activeReads > 0) await new Promise<void>((resolve) => (this.readsIdle = resolve));
      this.readsIdle = undefined;
      await work();
    } finally {
      this.maintenanceGate = undefined;
      openGate();
    }
  }

  private async writeBatch(batch: Operation[]): Promise<void> {
    const appends = batch as Extract<Operation, { kind: 'append' }>[];
    const firstIndex = appends[0]!.firstIndex;
    for (const [n, op] of appends.entries()) {
      if (!(n === 0 || op.firstIndex === appends[n - 1]!.firstIndex + appends[n - 1]!.records.length)) fail(`append at ${op.firstIndex} out of order`);
    }
    const records = appends.flatMap((op) => op.records);
    await this.files.appendDurably(firstIndex, records, appends.reduce((sum, op) => sum + op.frameBytes, 0));
    this.durableLastIndexValue = this.files.lastIndex;
    this.batchesWrittenValue++;
    for (const op of appends) op.resolve(logIndex(op.firstIndex + op.records.length - 1));
  }

  private async runMaintenance(operation: Exclude<Operation, { kind: 'append' }>): Promise<void> {
    switch (operation.kind) {
      case 'truncate':
        await this.files.truncateAfter(operation.afterIndex);
        this.durableLastIndexValue = Math.min(this.durableLastIndexValue, operation.afterIndex);
        operation.resolve();
        return;
      case 'release':
        operation.resolve(await this.releaseWhile((next) => next.firstIndex <= operation.beforeIndex));
        return;
      case 'expire': {
        const cutoffWallMs = this.options.clock!.wallNowMs() - this.options.retentionMs!;
        // A segment's newest record predates the creation of the segment after it.
        operation.resolve(
          await this.releaseWhile((next) => next.createdAtWallMs <= cutoffWallMs && next.firstIndex <= operation.protectFromIndex),
        );
        return;
      }
      case 'reset':
        await this.files.reset(operation.firstIndex);
        this.durableLastIndexValue = operation.firstIndex - 1;
        this.pendingResets--;
        operation.resolve();
        return;
    }
  }

  private async releaseWhile(removable: (next: { firstIndex: number; createdAtWallMs: number }) => boolean): Promise<number> {
    const removed = await this.files.removeOldest(removable);
    if (this.pendingResets === 0) this.logicalFirstIndex = this.files.firstIndex;
    return removed;
  }
}
