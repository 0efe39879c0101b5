// A disk that forgets what it was never told to keep. The page cache and the
// durable image are kept apart, as the kernel keeps them, so a crash in the
// simulator loses exactly what a power cut loses on a real machine: unsynced
// writes (a prefix of them may have reached the platter, the last one torn),
// and unsynced creates, renames and removes. This is what lets the WAL's tests
// say "acknowledged means durable" and mean it.

import { fail } from '../assert.js';
import { DiskError, type Disk, type DiskFile } from '../runtime/disk.js';
import type { Random } from '../runtime/random.js';
import { FileBytes, type ContentOp, type Inode } from './sim-disk-bytes.js';
import { ProcessView, SimDiskFile } from './sim-disk-handles.js';

export interface SimDiskOptions {
  /** All randomness (torn write points, fault draws) comes from here. */
  random: Random;
  /** The world's scheduler; when absent, operations complete in a microtask. */
  schedule?: (delayMs: number, run: () => void) => void;
  /** Latency of each operation when scheduled. Default 0.05. */
  operationLatencyMs?: number;
  /** Latency of datasync and syncDirectory when scheduled. Default 1. */
  datasyncLatencyMs?: number;
  /** Beyond this many bytes of file data, writes fail with ENOSPC. */
  capacityBytes?: number;
  /** One line per fault or crash event (not per operation). */
  trace?: (line: string) => void;
}

export type SimDiskFaultKind = 'read-error' | 'write-error' | 'datasync-error';

export interface SimDiskFault {
  kind: SimDiskFaultKind;
  /** Only paths starting with this; every path when absent. */
  pathPrefix?: string;
  /** Chance that a matching operation fails. Default 1. */
  probability?: number;
  /** How many failures this fault causes before it is spent. Unlimited when absent. */
  count?: number;
}

/** Counters for assertions such as "sixteen appends shared one datasync". */
export interface SimDiskStats {
  datasyncs: number;
  directorySyncs: number;
  writes: number;
  reads: number;
  crashes: number;
}

interface ActiveFault {
  readonly kind: SimDiskFaultKind;
  readonly pathPrefix: string;
  readonly probability: number;
  remaining: number;
}

type DirectoryOp =
  | { kind: 'create'; path: string; inode: Inode }
  | { kind: 'rename'; from: string; to: string; inode: Inode }
  | { kind: 'remove'; path: string };

const ROOT = '';
/** Reported by freeSpaceBytes when no capacity is set. */
const UNLIMITED_FREE_BYTES = 2 ** 50;

export class SimDisk implements Disk {
  readonly stats: SimDiskStats = { datasyncs: 0, directorySyncs: 0, writes: 0, reads: 0, crashes: 0 };
  private readonly random: Random;
  private readonly scheduleFn: ((delayMs: number, run: () => void) => void) | undefined;
  private readonly operationLatencyMs: number;
  private readonly datasyncLatencyMs: number;
  private readonly traceFn: (line: string) => void;
  private capacityBytes: number | undefined;
  // Directories are made durable at once: mkdir -p happens when a node first
  // starts and is not what these tests are about.
  private readonly directories = new Set<string>([ROOT]);
  private readonly cachedNames = new Map<string, Inode>();
  private readonly durableNames = new Map<string, Inode>();
  // One ordered journal of directory operations, as ext4 keeps one: syncing any
  // directory commits every operation before it, and a crash keeps a prefix.
  private unsyncedDirectoryOps: DirectoryOp[] = [];
  private faults: ActiveFault[] = [];
  private nextInodeId = 1;
  /** Bumped by crash(): handles and pending completions from an older epoch are dead. */
  private epoch = 0;

  constructor(options: SimDiskOptions) {
    this.random = options.random;
    this.scheduleFn = options.schedule;
    this.operationLatencyMs = options.operationLatencyMs ?? 0.05;
    this.datasyncLatencyMs = options.datasyncLatencyMs ?? 1;
    this.capacityBytes = options.capacityBytes;
    this.traceFn = options.trace ?? (() => {});
  }

  // ---- Disk ----

  open(path: string, options: { readonly create: boolean }): Promise<DiskFile> {
    const p = normalize(path);
    return this.complete(this.operationLatencyMs, () => {
      if (this.directories.has(p)) throw new DiskError('EISDIR', 'open', p);
      let inode = this.cachedNames.get(p);
      if (inode === undefined) {
        if (!options.create) throw new DiskError('ENOENT', 'open', p);
        this.requireParent('open', p);
        inode = { inodeId: this.nextInodeId++, cached: new FileBytes(), durable: new FileBytes(), unsynced: [] };
        this.cachedNames.set(p, inode);
        this.unsyncedDirectoryOps.push({ kind: 'create', path: p, inode });
      }
      return new SimDiskFile(this, p, inode, this.epoch);
    });
  }

  list(directory: string): Promise<string[]> {
    const d = normalize(directory);
    return this.complete(this.operationLatencyMs, () => {
      if (!this.directories.has(d)) {
        throw new DiskError(this.cachedNames.has(d) ? 'ENOTDIR' : 'ENOENT', 'list', d);
      }
      const names = new Set<string>();
      for (const path of [...this.cachedNames.keys(), ...this.directories]) {
        if (path !== ROOT && parentOf(path) === d) names.add(baseName(path));
      }
      return [...names].sort();
    });
  }

  makeDirectory(path: string): Promise<void> {
    const d = normalize(path);
    return this.complete(this.operationLatencyMs, () => {
      for (let current = d; current !== ROOT; current = parentOf(current)) {
        if (this.cachedNames.has(current)) throw new DiskError('ENOTDIR', 'makeDirectory', current);
      }
      for (let current = d; current !== ROOT; current = parentOf(current)) this.directories.add(current);
    });
  }

  exists(path: string): Promise<boolean> {
    const p = normalize(path);
    return this.complete(this.operationLatencyMs, () => this.directories.has(p) || this.cachedNames.has(p));
  }

  rename(from: string, to: string): Promise<void> {
    const f = normalize(from);
    const t = normalize(to);
    return this.complete(this.operationLatencyMs, () => {
      const inode = this.cachedNames.get(f);
      if (inode === undefined) throw new DiskError(this.directories.has(f) ? 'EISDIR' : 'ENOENT', 'rename', f);
      if (this.directories.has(t)) throw new DiskError('EISDIR', 'rename', t);
      this.requireParent('rename', t);
      if (f === t) return;
      this.cachedNames.delete(f);
      this.cachedNames.set(t, inode);
      this.unsyncedDirectoryOps.push({ kind: 'rename', from: f, to: t, inode });
    });
  }

  remove(path: string): Promise<void> {
    const p = normalize(path);
    return this.complete(this.operationLatencyMs, () => {
      if (this.directories.has(p)) throw new DiskError('EISDIR', 'remove', p);
      if (!this.cachedNames.delete(p)) throw new DiskError('ENOENT', 'remove', p);
      this.unsyncedDirectoryOps.push({ kind: 'remove', path: p });
    });
  }

  syncDirectory(directory: string): Promise<void> {
    const d = normalize(directory);
    if (!this.directories.has(d)) return this.complete(0, () => { throw new DiskError('ENOENT', 'syncDirectory', d); });
    // What is journalled when the call is made is what the call promises.
    const covered = this.unsyncedDirectoryOps.length;
    return this.complete(this.datasyncLatencyMs, () => {
      this.stats.directorySyncs++;
      const ops = this.unsyncedDirectoryOps.splice(0, Math.min(covered, this.unsyncedDirectoryOps.length));
      for (const op of ops) this.applyDirectoryOp(op);
    });
  }

  freeSpaceBytes(_path: string): Promise<number> {
    return this.complete(this.operationLatencyMs, () =>
      this.capacityBytes === undefined ? UNLIMITED_FREE_BYTES : Math.max(0, this.capacityBytes - this.usedBytes()),
    );
  }

  // ---- the simulator's controls ----

  /**
   * This disk as one run of a process sees it. After crash() the process is
   * dead: operations it issues through this view (say, from a promise
   * continuation still queued when the power went) never complete, so a dead
   * node cannot rename or remove files under its restarted successor. Give each
   * incarnation of a node its own view.
   */
  forProcess(): Disk {
    return new ProcessView(this, this.epoch);
  }

  /** @internal */
  isCurrentEpoch(epoch: number): boolean {
    return epoch === this.epoch;
  }

  crash(): void {
    this.epoch++;
    this.stats.crashes++;
    const keptDirectoryOps = this.random.nextInt(0, this.unsyncedDirectoryOps.length + 1);
    for (const op of this.unsyncedDirectoryOps.slice(0, keptDirectoryOps)) this.applyDirectoryOp(op);
    const lostDirectoryOps = this.unsyncedDirectoryOps.length - keptDirectoryOps;
    this.unsyncedDirectoryOps = [];

    const inodes = new Set([...this.cachedNames.values(), ...this.durableNames.values()]);
    let unsyncedWrites = 0;
    let keptWrites = 0;
    const tears: string[] = [];
    for (const inode of inodes) {
      if (inode.unsynced.length === 0) continue;
      const kept = this.random.nextInt(0, inode.unsynced.length + 1);
      for (let i = 0; i < kept; i++) {
        let op = inode.unsynced[i]!;
        // The last write to reach the platter may have reached it only in part.
        if (i === kept - 1 && op.kind === 'write' && op.data.length > 0) {
          const tornAt = this.random.nextInt(0, op.data.length + 1);
          if (tornAt < op.data.length) {
            tears.push(`inode ${inode.inodeId} at byte ${op.positionBytes + tornAt}`);
            op = { kind: 'write', positionBytes: op.positionBytes, data: op.data.subarray(0, tornAt) };
          }
        }
        inode.durable.apply(op);
      }
      unsyncedWrites += inode.unsynced.length;
      keptWrites += kept;
      inode.unsynced = [];
    }
    for (const inode of inodes) inode.cached = inode.durable.clone();
    this.cachedNames.clear();
    for (const [path, inode] of this.durableNames) this.cachedNames.set(path, inode);
    this.traceFn(
      `disk: crash kept ${keptWrites}/${unsyncedWrites} unsynced writes` +
        ` (torn: ${tears.length === 0 ? 'none' : tears.join(', ')})` +
        ` and ${keptDirectoryOps}/${keptDirectoryOps + lostDirectoryOps} unsynced directory operations`,
    );
  }

  injectFault(fault: SimDiskFault): void {
    const probability = fault.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) fail(`fault probability ${probability} outside [0, 1]`);
    this.faults.push({ kind: fault.kind, pathPrefix: fault.pathPrefix ?? '', probability, remaining: fault.count ?? Infinity });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setCapacityBytes(bytes: number | undefined): void {
    this.capacityBytes = bytes;
  }

  flipBit(path: string, byteOffset: number, bit: number): void {
    const p = normalize(path);
    const inode = this.cachedNames.get(p) ?? this.durableNames.get(p);
    if (inode === undefined) fail(`flipBit: no file ${p}`);
    if (!(bit >= 0 && bit < 8)) fail(`flipBit: bit ${bit} is not in 0..7`);
    const mask = 1 << bit;
    inode.cached.flipBits(byteOffset, mask);
    inode.durable.flipBits(byteOffset, mask);
    this.traceFn(`disk: flipped bit ${bit} of byte ${byteOffset} in ${p}`);
  }

  durableFiles(): ReadonlyMap<string, Uint8Array> {
    const files = new Map<string, Uint8Array>();
    for (const [path, inode] of [...this.durableNames].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      files.set(path, inode.durable.view().slice());
    }
    return files;
  }

  // ---- used by SimDiskFile ----

  /** @internal */
  fileOperation<T>(handle: SimDiskFile, operation: string, latencyMs: number, run: () => T): Promise<T> {
    if (handle.epoch !== this.epoch || handle.closed) {
      return this.complete(0, () => { throw new DiskError('EBADF', operation, handle.path); });
    }
    return this.complete(latencyMs, run);
  }

  /** @internal */
  writeAt(handle: SimDiskFile, inode: Inode, positionBytes: number, data: Uint8Array): Promise<void> {
    return this.fileOperation(handle, 'write', this.operationLatencyMs, () => {
      this.maybeFail('write-error', 'write', handle.path);
      const growth = Math.max(0, positionBytes + data.length - inode.cached.lengthBytes);
      if (this.capacityBytes !== undefined && this.usedBytes() + growth > this.capacityBytes) {
        throw new DiskError('ENOSPC', 'write', handle.path, `capacity ${this.capacityBytes} bytes`);
      }
      this.stats.writes++;
      const op: ContentOp = { kind: 'write', positionBytes, data: data.slice() };
      inode.cached.apply(op);
      inode.unsynced.push(op);
    });
  }

  /** @internal */
  readAt(handle: SimDiskFile, inode: Inode, positionBytes: number, lengthBytes: number): Promise<Uint8Array> {
    return this.fileOperation(handle, 'read', this.operationLatencyMs, () => {
      this.maybeFail('read-error', 'read', handle.path);
      this.stats.reads++;
      return inode.cached.view().slice(positionBytes, positionBytes + lengthBytes);
    });
  }

  /** @internal A read done in the caller's turn: it takes no simulated time, and fails as readAt does. */
  readAtNow(handle: SimDiskFile, inode: Inode, positionBytes: number, lengthBytes: number): Uint8Array {
    if (handle.epoch !== this.epoch || handle.closed) throw new DiskError('EBADF', 'read', handle.path);
    this.maybeFail('read-error', 'read', handle.path);
    this.stats.reads++;
    return inode.cached.view().slice(positionBytes, positionBytes + lengthBytes);
  }

  /** @internal */
  truncateTo(handle: SimDiskFile, inode: Inode, sizeBytes: number): Promise<void> {
    return this.fileOperation(handle, 'truncate', this.operationLatencyMs, () => {
      const op: ContentOp = { kind: 'truncate', sizeBytes };
      inode.cached.apply(op);
      inode.unsynced.push(op);
    });
  }

  /** @internal */
  datasync(handle: SimDiskFile, inode: Inode): Promise<void> {
    const covered = inode.unsynced.length;
    return this.fileOperation(handle, 'datasync', this.datasyncLatencyMs, () => {
      const ops = inode.unsynced.splice(0, Math.min(covered, inode.unsynced.length));
      // Linux after a failed writeback marks the pages clean anyway: the data
      // stays readable but will never reach the platter (the "fsyncgate" case).
      this.maybeFail('datasync-error', 'datasync', handle.path);
      this.stats.datasyncs++;
      for (const op of ops) inode.durable.apply(op);
    });
  }

  // ---- internals ----

  private complete<T>(latencyMs: number, run: () => T): Promise<T> {
    const epoch = this.epoch;
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        // A crash between the call and its completion: the caller never hears back.
        if (epoch !== this.epoch) return;
        try {
          resolve(run());
        } catch (error) {
          reject(error);
        }
      };
      // Standalone (no world): complete on a promise continuation, which the driver's promise hook can see.
      if (this.scheduleFn === undefined) void Promise.resolve().then(finish);
      else this.scheduleFn(latencyMs, finish);
    });
  }

  private maybeFail(kind: SimDiskFaultKind, operation: string, path: string): void {
    for (const fault of this.faults) {
      if (fault.kind !== kind || fault.remaining <= 0 || !path.startsWith(fault.pathPrefix)) continue;
      if (fault.probability < 1 && !this.random.chance(fault.probability)) continue;
      fault.remaining--;
      this.traceFn(`disk: injected ${kind} on ${path}`);
      throw new DiskError('EIO', operation, path, 'injected fault');
    }
  }

  private requireParent(operation: string, path: string): void {
    const parent = parentOf(path);
    if (!this.directories.has(parent)) {
      throw new DiskError(this.cachedNames.has(parent) ? 'ENOTDIR' : 'ENOENT', operation, path, `no directory ${parent || '.'}`);
    }
  }

  private applyDirectoryOp(op: DirectoryOp): void {
    switch (op.kind) {
      case 'create':
        this.durableNames.set(op.path, op.inode);
        break;
      case 'rename':
        this.durableNames.delete(op.from);
        this.durableNames.set(op.to, op.inode);
        break;
      case 'remove':
        this.durableNames.delete(op.path);
        break;
    }
  }

  private usedBytes(): number {
    let used = 0;
    for (const inode of this.cachedNames.values()) used += inode.cached.lengthBytes;
    return used;
  }
}

function normalize(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) fail(`path ${path} climbs with '..'`);
  return parts.join('/');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? ROOT : path.slice(0, slash);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
