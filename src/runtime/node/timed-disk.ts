// The real disk, with every fdatasync timed: etcd's most watched health
// signal (etcd_disk_wal_fsync_duration_seconds) is how long the disk takes
// to make a write durable, and it belongs at the one place the wait happens.

import type { Disk, DiskFile } from '../disk.js';
import { Histogram, syncDurationBoundariesSeconds } from '../../server/metrics.js';

export class TimedDisk implements Disk {
  readonly syncSeconds = new Histogram(syncDurationBoundariesSeconds);

  constructor(private readonly inner: Disk) {}

  async open(path: string, options: { readonly create: boolean }): Promise<DiskFile> {
    const file = await this.inner.open(path, options);
    const histogram = this.syncSeconds;
    return {
      path: file.path,
      sizeBytes: () => file.sizeBytes(),
      append: (data) => file.append(data),
      write: (position, data) => file.write(position, data),
      read: (position, length) => file.read(position, length),
      readNow: (position, length) => file.readNow(position, length),
      async datasync() {
        const started = performance.now();
        await file.datasync();
        histogram.observe((performance.now() - started) / 1000);
      },
      truncate: (size) => file.truncate(size),
      close: () => file.close(),
    };
  }

  list(directory: string): Promise<string[]> {
    return this.inner.list(directory);
  }

  makeDirectory(path: string): Promise<void> {
    return this.inner.makeDirectory(path);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }

  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }

  syncDirectory(directory: string): Promise<void> {
    return this.inner.syncDirectory(directory);
  }

  freeSpaceBytes(path: string): Promise<number> {
    return this.inner.freeSpaceBytes(path);
  }
}
