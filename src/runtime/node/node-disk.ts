// The Disk interface over node:fs/promises. Durability is the kernel's:
// datasync is fdatasync(2), and syncDirectory opens the directory and
// fsyncs it, which is how Linux makes creates, renames and removes durable.

import { constants, fdatasync, readSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DiskError, type Disk, type DiskErrorCode, type DiskFile } from '../disk.js';

const PASSED_THROUGH: ReadonlySet<string> = new Set<DiskErrorCode>(['ENOENT', 'EEXIST', 'EIO', 'ENOSPC', 'EBADF', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY']);

export interface NodeDiskOptions {
  /** Relative paths are resolved against this directory. Default: the working directory. */
  readonly root?: string;
}

export class NodeDisk implements Disk {
  private readonly root: string;

  constructor(options: NodeDiskOptions = {}) {
    this.root = resolve(options.root ?? '.');
  }

  async open(path: string, options: { readonly create: boolean }): Promise<DiskFile> {
    const flags = constants.O_RDWR | (options.create ? constants.O_CREAT : 0);
    const handle = await this.call('open', path, () => open(this.resolve(path), flags, 0o644));
    return new NodeDiskFile(path, handle);
  }

  async list(directory: string): Promise<string[]> {
    const names = await this.call('list', directory, () => readdir(this.resolve(directory)));
    return names.sort();
  }

  async makeDirectory(path: string): Promise<void> {
    const target = this.resolve(path);
    const firstCreated = await this.call('makeDirectory', path, () => mkdir(target, { recursive: true }));
    if (firstCreated === undefined) return;
    // A new directory's name lives in its parent: until the parent is synced a
    // power cut can take the directory away, with every synced file in it.
    for (let created = target; ; created = dirname(created)) {
      await this.syncDirectory(dirname(created));
      if (created === firstCreated || dirname(created) === created) return;
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.resolve(path));
      return true;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return false;
      throw toDiskError(error, 'exists', path);
    }
  }

  rename(from: string, to: string): Promise<void> {
    return this.call('rename', from, () => rename(this.resolve(from), this.resolve(to)));
  }

  remove(path: string): Promise<void> {
    return this.call('remove', path, () => unlink(this.resolve(path)));
  }

  async syncDirectory(directory: string): Promise<void> {
    const handle = await this.call('syncDirectory', directory, () => open(this.resolve(directory), constants.O_RDONLY));
    try {
      await this.call('syncDirectory', directory, () => handle.sync());
    } finally {
      await handle.close();
    }
  }

  async freeSpaceBytes(path: string): Promise<number> {
    const stats = await this.call('freeSpaceBytes', path, () => statfs(this.resolve(path)));
    return stats.bavail * stats.bsize;
  }

  private resolve(path: string): string {
    return resolve(this.root, path === '' ? '.' : path);
  }

  private async call<T>(operation: string, path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDiskError(error, operation, path);
    }
  }
}

/** Writes up to this size are made in the caller's turn (see writeInline); larger ones go through the thread pool. */
const maxInlineWriteBytes = 256 * 1024;

class NodeDiskFile implements DiskFile {
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  async sizeBytes(): Promise<number> {
    return (await this.guard('size', () => this.handle.stat())).size;
  }

  async append(data: Uint8Array): Promise<void> {
    await this.write(await this.sizeBytes(), data);
  }

  async write(positionBytes: number, data: Uint8Array): Promise<void> {
    if (data.length <= maxInlineWriteBytes) return this.writeInline(positionBytes, data);
    let written = 0;
    // write(2) may write less than asked; the rest must follow, or the record is torn.
    while (written < data.length) {
      const { bytesWritten } = await this.guard('write', () =>
        this.handle.write(data, written, data.length - written, positionBytes + written),
      );
      if (bytesWritten <= 0) throw new DiskError('EIO', 'write', this.path, `write of ${data.length - written} bytes wrote nothing`);
      written += bytesWritten;
    }
  }

  async read(positionBytes: number, lengthBytes: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(lengthBytes);
    let filled = 0;
    while (filled < lengthBytes) {
      const { bytesRead } = await this.guard('read', () =>
        this.handle.read(buffer, filled, lengthBytes - filled, positionBytes + filled),
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === lengthBytes ? buffer : buffer.subarray(0, filled);
  }

  readNow(positionBytes: number, lengthBytes: number): Uint8Array {
    const buffer = Buffer.allocUnsafe(lengthBytes);
    let filled = 0;
    try {
      while (filled < lengthBytes) {
        const bytesRead = readSync(this.handle.fd, buffer, filled, lengthBytes - filled, positionBytes + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw toDiskError(error, 'read', this.path);
    }
    return filled === lengthBytes ? buffer : buffer.subarray(0, filled);
  }

  // A small write only copies into the page cache: done here, in this turn, it
  // spares a round trip through libuv's thread pool (two thread wake-ups),
  // which on a busy member cost more than the copy. The fdatasync that makes
  // it durable still waits in the pool.
  private writeInline(positionBytes: number, data: Uint8Array): Promise<void> {
    try {
      let written = 0;
      while (written < data.length) {
        const bytes = writeSync(this.handle.fd, data, written, data.length - written, positionBytes + written);
        // A regular file never takes nothing; were it to, this would never end.
        if (bytes <= 0) throw Object.assign(new Error(`write of ${data.length - written} bytes wrote nothing`), { code: 'EIO' });
        written += bytes;
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(toDiskError(error, 'write', this.path));
    }
  }

  datasync(): Promise<void> {
    // fs's callback form: the FileHandle promise form costs a good deal more per call.
    return new Promise((resolve, reject) => {
      fdatasync(this.handle.fd, (error) => (error === null ? resolve() : reject(toDiskError(error, 'datasync', this.path))));
    });
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.guard('truncate', () => this.handle.truncate(sizeBytes));
  }

  close(): Promise<void> {
    return this.guard('close', () => this.handle.close());
  }

  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDiskError(error, operation, this.path);
    }
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function toDiskError(error: unknown, operation: string, path: string): DiskError {
  const code = codeOf(error);
  if (code !== undefined && PASSED_THROUGH.has(code)) return new DiskError(code as DiskErrorCode, operation, path);
  // A full quota is a full disk to the caller; anything else unexpected is an I/O error.
  if (code === 'EDQUOT') return new DiskError('ENOSPC', operation, path, code);
  if (code === 'ERR_INVALID_STATE' || code === 'EBADF') return new DiskError('EBADF', operation, path, code);
  return new DiskError('EIO', operation, path, code ?? (error instanceof Error ? error.message : String(error)));
}
