// Where a Raft node keeps what it must not forget, on a Disk:
//
//   <dir>/wal/        the log: one WAL record per entry, record index = Raft index
//   <dir>/hardstate   term, vote and commit, replaced atomically (checksummed)
//   <dir>/snapshot    the newest snapshot with its metadata (checksummed),
//                     kept open to read chunks from for lagging followers
//
// Every write resolves only once durable, and the node acknowledges nothing
// before that. Operations run one at a time in call order, so a snapshot
// taken by the node can never overtake (and overwrite) a newer one received
// from the leader. A failed write poisons the storage: every later operation
// fails too, because after a failed fsync nothing written since the last good
// one can be trusted.
//
// The commit index is written with the term and vote but does not by itself
// cause a write: Raft does not need it durable (a restarted node learns it
// again from the leader), and replacing a file for every batch would double
// the cost of each append.

import { assert, InvariantViolation, fail } from '../assert.js';
import { logIndex, term as toTerm, type LogIndex } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import type { Disk } from '../runtime/disk.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { InMemorySnapshotData, readWholeSnapshot, type SnapshotData } from '../consensus/snapshot-data.js';
import type { Entry, HardState, RestoredState, Snapshot, SnapshotMeta } from '../consensus/types.js';
import { readAtomicFile, writeAtomicFile } from '../log/atomic-file.js';
import { WriteAheadLog, type AppendRecord, type WriteAheadLogOptions } from '../log/write-ahead-log.js';
import type { PersistWork, RaftPersistence } from './raft-persistence.js';
import { decodeEntry, decodeHardState, encodeEntry, encodeHardState } from './storage-codec.js';
import { openSnapshotFile, writeSnapshotFile, type FileSnapshotData } from './stored-snapshot.js';

/** The WAL record type of a Raft entry. */
export const ENTRY_RECORD_TYPE = 1;

export interface RaftStorageOptions {
  readonly wal: WriteAheadLogOptions;
  /** Entries read back per WAL read during recovery. */
  readonly recoveryBatchRecords: number;
  readonly recoveryBatchBytes: number;
  readonly logger: Logger;
  readonly wallClock?: Clock;
}

export const defaultRaftStorageOptions: RaftStorageOptions = {
  wal: {},
  recoveryBatchRecords: 4096,
  recoveryBatchBytes: 4 * 1024 * 1024,
  logger: silentLogger,
};

export class RaftStorage implements RaftPersistence {
  private chain: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;
  private writtenHardState: HardState | null = null;
  private snapshotIndex: LogIndex = logIndex(0);
  /** Our own snapshots' file writes, one after another, apart from the log's queue. */
  private snapshotFileChain: Promise<unknown> = Promise.resolve();
  /** The snapshot file's state, open for reading; the one it replaced stays open until the next (a sender may still be reading it). */
  private stored: FileSnapshotData | null = null;
  private superseded: FileSnapshotData | null = null;
  private recoveredState: RestoredState | null = null;

  private constructor(
    private readonly disk: Disk,
    private readonly directory: string,
    private readonly wal: WriteAheadLog,
    private readonly options: RaftStorageOptions,
  ) {}

  static async open(disk: Disk, directory: string, options: Partial<RaftStorageOptions> = {}): Promise<RaftStorage> {
    const resolved = { ...defaultRaftStorageOptions, ...options };
    await disk.makeDirectory(directory);
    const wal = await WriteAheadLog.open(disk, `${directory}/wal`, { logger: resolved.logger, clock: resolved.wallClock, ...resolved.wal });
    const storage = new RaftStorage(disk, directory, wal, resolved);
    storage.recoveredState = await storage.load();
    return storage;
  }

  private get hardStatePath(): string {
    return `${this.directory}/hardstate`;
  }

  private get snapshotPath(): string {
    return `${this.directory}/snapshot`;
  }

  /** What the disk held when the storage was opened; the WAL is already trimmed to agree with the snapshot. */
  recover(): Promise<RestoredState> {
    const restored = this.recoveredState;
    assert(restored !== null, 'recover() is called once, after open');
    this.recoveredState = null;
    return Promise.resolve(restored);
  }

  persist(work: PersistWork): Promise<void> {
    return this.serially(async () => {
      if (work.snapshot !== null) await this.installSnapshot(work.snapshot);
      if (work.entries.length > 0) await this.appendEntries(work.entries);
      if (work.hardState !== null) await this.writeHardState(work.hardState);
    });
  }

  // The snapshot file is written beside the log's appends, not in their
  // queue: a big state takes many syncs to write, and appends waiting behind
  // them would stall every write for that long. Only releasing the log below
  // it joins the queue, once the file is durable.
  saveSnapshot(meta: SnapshotMeta, state: Iterable<Uint8Array>): Promise<SnapshotData | null> {
    const written = this.snapshotFileChain.then(async () => {
      if (this.failure !== null) throw new Error(`raft storage in ${this.directory} failed earlier and refuses writes until reopened`, { cause: this.failure });
      if (meta.index <= this.snapshotIndex) return null;
      try {
        return this.adopt(await writeSnapshotFile(this.disk, this.snapshotPath, meta, state));
      } catch (error) {
        this.failure = error;
        throw error;
      }
    });
    this.snapshotFileChain = written.catch(() => undefined);
    // The Low-Water Mark: whole segments below the snapshot are no longer needed.
    return written.then((data) => this.serially(async () => {
      if (data !== null) await this.wal.releaseBefore(meta.index + 1);
      return data;
    }));
  }

  storedSnapshot(index: LogIndex): SnapshotData | null {
    return this.stored !== null && this.stored.index === index ? this.stored : null;
  }

  close(): Promise<void> {
    const settled = Promise.all([this.chain, this.snapshotFileChain]);
    const closeAll = async (): Promise<void> => {
      await this.superseded?.close();
      await this.stored?.close();
      await this.wal.close();
    };
    return settled.then(closeAll, closeAll);
  }

  private adopt(data: FileSnapshotData): FileSnapshotData {
    const older = this.superseded;
    this.superseded = this.stored;
    this.stored = data;
    this.snapshotIndex = data.index;
    void older?.close();
    return data;
  }

  /** The WAL's range, for tests and status. */
  logRange(): { readonly firstIndex: LogIndex; readonly lastIndex: LogIndex } {
    return { firstIndex: this.wal.firstIndex, lastIndex: this.wal.lastIndex };
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.failure !== null) throw new Error(`raft storage in ${this.directory} failed earlier and refuses writes until reopened`, { cause: this.failure });
      try {
        return await operation();
      } catch (error) {
        this.failure = error;
        throw error;
      }
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  // A snapshot from the leader replaces the whole log: the snapshot is durable
  // first, so a crash in between leaves the snapshot and an older log, which
  // load() reconciles, never a log with a gap.
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    // In the file's own queue too: a snapshot of our own being written goes first (both use the same file).
    const written = this.snapshotFileChain.then(async () => {
      this.adopt(await writeSnapshotFile(this.disk, this.snapshotPath, snapshot.meta, [readWholeSnapshot(snapshot.data)]));
    });
    this.snapshotFileChain = written.catch(() => undefined);
    await written;
    await this.wal.resetTo(snapshot.meta.index + 1);
  }

  private async appendEntries(entries: readonly Entry[]): Promise<void> {
    const first = entries[0]!.index;
    const last = this.wal.lastIndex;
    if (first > last + 1 || first < this.wal.firstIndex) {
      throw new InvariantViolation(`entries start at ${first}, outside the log's range ${this.wal.firstIndex}..${last} (plus one)`);
    }
    if (first <= last) await this.wal.truncateAfter(first - 1);
    // Appends are queued back to back and share fsyncs (group commit); all must land before we resolve.
    const pending: Promise<LogIndex>[] = [];
    let batch: AppendRecord[] = [];
    let batchBytes = 0;
    for (const entry of entries) {
      const data = encodeEntry(entry);
      if (batch.length > 0 && (batch.length >= this.wal.maxBatchRecords || batchBytes + data.length + 64 > this.wal.maxBatchBytes)) {
        pending.push(this.wal.append(batch));
        batch = [];
        batchBytes = 0;
      }
      batch.push({ type: ENTRY_RECORD_TYPE, data });
      batchBytes += data.length + 64;
    }
    pending.push(this.wal.append(batch));
    const lastWritten = await Promise.all(pending);
    assert(lastWritten[lastWritten.length - 1] === entries[entries.length - 1]!.index, 'WAL record indexes drifted from Raft indexes');
  }

  private async writeHardState(state: HardState): Promise<void> {
    const written = this.writtenHardState;
    if (written !== null && written.term === state.term && written.vote === state.vote) return;
    await writeAtomicFile(this.disk, this.hardStatePath, encodeHardState(state));
    this.writtenHardState = state;
  }

  private async load(): Promise<RestoredState> {
    const snapshot = (await openSnapshotFile(this.disk, this.snapshotPath)) ?? null;
    if (snapshot !== null) this.stored = snapshot.data;
    // The node restores its state machine from the bytes just read and checked, then swaps them for the file (storedSnapshot).
    const snapshotData = snapshot === null ? null : new InMemorySnapshotData(snapshot.state, snapshot.data.checksum);
    const hardStateBytes = await readAtomicFile(this.disk, this.hardStatePath);
    const stored = hardStateBytes === undefined ? null : decodeHardState(hardStateBytes);
    this.writtenHardState = stored;
    const snapshotIndex = snapshot?.meta.index ?? logIndex(0);
    this.snapshotIndex = snapshotIndex;

    let entries: Entry[] = [];
    if (snapshot !== null && !(await this.logContinuesSnapshot(snapshot))) {
      // The log is older than the snapshot, or disagrees with it (the reset after installing it did not land).
      await this.wal.resetTo(snapshotIndex + 1);
    } else {
      entries = await this.readEntries(Math.max(snapshotIndex + 1, this.wal.firstIndex));
    }
    const hardState: HardState = {
      term: stored?.term ?? toTerm(0),
      vote: stored?.vote ?? null,
      commit: logIndex(Math.max(stored?.commit ?? 0, snapshotIndex)),
    };
    this.options.logger.info(
      { directory: this.directory, term: hardState.term, snapshotIndex, firstIndex: entries[0]?.index ?? null, lastIndex: entries[entries.length - 1]?.index ?? snapshotIndex },
      'recovered raft state',
    );
    return {
      hardState,
      snapshot: snapshot?.meta ?? null,
      entries,
      ...(snapshotData === null ? {} : { snapshotData }),
    };
  }

  private async logContinuesSnapshot(snapshot: { readonly meta: SnapshotMeta }): Promise<boolean> {
    const index = snapshot.meta.index;
    const { firstIndex, lastIndex } = this.logRange();
    if (firstIndex === index + 1) return true;
    if (index < firstIndex || index > lastIndex) return false;
    const [record] = await this.wal.read(index, 1, Number.MAX_SAFE_INTEGER);
    return record !== undefined && decodeEntry(record.data).term === snapshot.meta.term;
  }

  private async readEntries(from: number): Promise<Entry[]> {
    const entries: Entry[] = [];
    let next = from;
    while (next <= this.wal.lastIndex) {
      const records = await this.wal.read(next, this.options.recoveryBatchRecords, this.options.recoveryBatchBytes);
      if (records.length === 0) break;
      for (const record of records) {
        if (record.type !== ENTRY_RECORD_TYPE) fail(`WAL record ${record.index} has type ${record.type}, not a Raft entry`);
        const entry = decodeEntry(record.data);
        if (entry.index !== record.index) fail(`WAL record ${record.index} holds Raft entry ${entry.index}`);
        entries.push(entry);
      }
      next = records[records.length - 1]!.index + 1;
    }
    if (!(next > this.wal.lastIndex)) fail(`recovery read stopped at ${next}, before the log's last index ${this.wal.lastIndex}`);
    return entries;
  }
}
