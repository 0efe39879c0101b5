/**
 * Files as storage code may use them. Writes land in a page cache and become
 * durable only through datasync (file contents) and syncDirectory (creates,
 * renames and removes in that directory). The real adapter maps this onto
 * node:fs; the simulator keeps the page cache and the durable image apart,
 * so a crash loses what was never synced and may tear the last write.
 */
export interface Disk {
  /** Opens a file, creating it (empty) when `create` is set and it is missing. Fails with DiskError 'ENOENT' otherwise. */
  open(path: string, options: { readonly create: boolean }): Promise<DiskFile>;
  /** Names (not paths) of the entries in a directory, sorted. Fails with 'ENOENT' if it is missing. */
  list(directory: string): Promise<string[]>;
  /** Creates a directory and its parents, durably (their entries are synced); does nothing if it exists. */
  makeDirectory(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. Fails with 'ENOENT' if it is missing. */
  remove(path: string): Promise<void>;
  /** Makes creates, renames and removes in this directory durable. */
  syncDirectory(directory: string): Promise<void>;
  freeSpaceBytes(path: string): Promise<number>;
}

export interface DiskFile {
  readonly path: string;
  sizeBytes(): Promise<number>;
  /** Writes at the current end of the file. */
  append(data: Uint8Array): Promise<void>;
  /** Writes at a position; writing past the end extends the file with zeros. */
  write(positionBytes: number, data: Uint8Array): Promise<void>;
  /** Reads up to `lengthBytes` from a position; shorter at the end of the file. */
  read(positionBytes: number, lengthBytes: number): Promise<Uint8Array>;
  /**
   * The same read, done before returning: the caller's turn waits for it. Only
   * for reads that are small and rare enough not to matter to everything else
   * waiting (a chunk of a snapshot being sent to a follower). Throws DiskError.
   */
  readNow(positionBytes: number, lengthBytes: number): Uint8Array;
  /** Makes every write so far durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(sizeBytes: number): Promise<void>;
  close(): Promise<void>;
}

export type DiskErrorCode = 'ENOENT' | 'EEXIST' | 'EIO' | 'ENOSPC' | 'EBADF' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY';

/** Every Disk implementation reports failures with this one error type. */
export class DiskError extends Error {
  override readonly name = 'DiskError';
  constructor(
    readonly code: DiskErrorCode,
    readonly operation: string,
    readonly path: string,
    detail?: string,
  ) {
    super(`${operation} ${path}: ${code}${detail === undefined ? '' : ` (${detail})`}`);
  }
}
