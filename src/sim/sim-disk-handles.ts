// What a process holds of a SimDisk: a view that dies with the process, and
// open files whose operations the disk carries out (and fails after a crash).

import { fail } from '../assert.js';
import type { Disk, DiskFile } from '../runtime/disk.js';
import type { Inode } from './sim-disk-bytes.js';
import type { SimDisk } from './sim-disk.js';

export class ProcessView implements Disk {
  constructor(
    private readonly disk: SimDisk,
    private readonly epoch: number,
  ) {}

  private live<T>(operation: () => Promise<T>): Promise<T> {
    return this.disk.isCurrentEpoch(this.epoch) ? operation() : new Promise<T>(() => {});
  }

  open(path: string, options: { readonly create: boolean }): Promise<DiskFile> {
    return this.live(() => this.disk.open(path, options));
  }
  list(directory: string): Promise<string[]> {
    return this.live(() => this.disk.list(directory));
  }
  makeDirectory(path: string): Promise<void> {
    return this.live(() => this.disk.makeDirectory(path));
  }
  exists(path: string): Promise<boolean> {
    return this.live(() => this.disk.exists(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.live(() => this.disk.rename(from, to));
  }
  remove(path: string): Promise<void> {
    return this.live(() => this.disk.remove(path));
  }
  syncDirectory(directory: string): Promise<void> {
    return this.live(() => this.disk.syncDirectory(directory));
  }
  freeSpaceBytes(path: string): Promise<number> {
    return this.live(() => this.disk.freeSpaceBytes(path));
  }
}

export class SimDiskFile implements DiskFile {
  closed = false;

  constructor(
    private readonly disk: SimDisk,
    readonly path: string,
    private readonly inode: Inode,
    readonly epoch: number,
  ) {}

  sizeBytes(): Promise<number> {
    return this.disk.fileOperation(this, 'size', 0, () => this.inode.cached.lengthBytes);
  }

  append(data: Uint8Array): Promise<void> {
    // The end of the file is read when the write lands, as O_APPEND does.
    return this.disk.writeAt(this, this.inode, this.inode.cached.lengthBytes, data);
  }

  write(positionBytes: number, data: Uint8Array): Promise<void> {
    if (!(positionBytes >= 0)) fail(`write at negative position ${positionBytes}`);
    return this.disk.writeAt(this, this.inode, positionBytes, data);
  }

  read(positionBytes: number, lengthBytes: number): Promise<Uint8Array> {
    if (!(positionBytes >= 0 && lengthBytes >= 0)) fail(`read of ${lengthBytes} bytes at ${positionBytes}`);
    return this.disk.readAt(this, this.inode, positionBytes, lengthBytes);
  }

  readNow(positionBytes: number, lengthBytes: number): Uint8Array {
    if (!(positionBytes >= 0 && lengthBytes >= 0)) fail(`read of ${lengthBytes} bytes at ${positionBytes}`);
    return this.disk.readAtNow(this, this.inode, positionBytes, lengthBytes);
  }

  datasync(): Promise<void> {
    return this.disk.datasync(this, this.inode);
  }

  truncate(sizeBytes: number): Promise<void> {
    if (!(sizeBytes >= 0)) fail(`truncate to negative size ${sizeBytes}`);
    return this.disk.truncateTo(this, this.inode, sizeBytes);
  }

  close(): Promise<void> {
    return this.disk.fileOperation(this, 'close', 0, () => {
      this.closed = true;
    });
  }
}
