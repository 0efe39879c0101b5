// The log's failures, each naming what is wrong and what the operator can do.

/** Checksummed data failed its check somewhere it cannot be a torn write. Nothing past it is served. */
export class LogCorruptionError extends Error {
  override readonly name = 'LogCorruptionError';
  constructor(
    readonly file: string,
    readonly offsetBytes: number,
    detail: string,
  ) {
    super(
      `${file} is corrupt at byte ${offsetBytes}: ${detail}. ` +
        'Records after this point cannot be trusted: restore this node from a snapshot or rejoin it with a fresh data directory',
    );
  }
}

/** A file the log does not recognise, or a format it does not speak. The log refuses to guess. */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/**
 * A write or datasync failed. After a failed fsync the kernel may have dropped
 * the dirty pages while still serving them from cache, so nothing written
 * since the last good sync can be trusted: the log refuses further writes
 * until it is reopened, and recovery decides from what is really on disk.
 */
export class LogFailedError extends Error {
  override readonly name = 'LogFailedError';
  constructor(
    readonly directory: string,
    override readonly cause: unknown,
  ) {
    super(`write-ahead log in ${directory} failed (${describe(cause)}) and refuses writes until reopened`);
  }
}

/** Too many appends are waiting for the disk: the caller should slow down. */
export class LogBusyError extends Error {
  override readonly name = 'LogBusyError';
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
