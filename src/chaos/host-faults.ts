// Faults injected through the host rather than the network: a member's wall
// clock (libfaketime's offset file), its fsync calls (libfiu through
// fiu-ctrl), and the free space of its filesystem (a filler file).

import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Sets a member's clock offset; libfaketime picks it up within its one-second cache. */
export function setClockOffset(file: string, offsetSeconds: number): void {
  writeFileSync(file, `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}\n`);
}

export const fsyncFailurePoints = ['posix/io/sync/fsync', 'posix/io/sync/fdatasync'];

/** Turns libfiu failure points on or off in a running process. */
export async function fiuControl(prefix: string, pid: number, enable: boolean): Promise<void> {
  for (const name of fsyncFailurePoints) {
    await run('fiu-ctrl', ['-f', prefix, '-c', `${enable ? 'enable' : 'disable'} name=${name}`, String(pid)], { timeout: 5_000 });
  }
}

/** Writes zeros until the filesystem is full (bounded by maxBytes); returns the bytes written. */
export function fillFilesystem(path: string, maxBytes: number): number {
  const chunk = Buffer.alloc(1024 * 1024);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    while (written < maxBytes) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    // The last partial megabyte, so nothing at all is left.
    for (let size = 512 * 1024; size >= 512; size >>= 1) {
      try {
        written += writeSync(fd, chunk.subarray(0, size));
      } catch {
        // too big for what is left; try smaller
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** What a log gained since a byte offset (at most maxBytes of it). */
export function logSince(path: string, offset: number, maxBytes = 4 * 1024 * 1024): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const length = Math.min(maxBytes, Math.max(0, size - offset));
  if (length === 0) return '';
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** The first line of a text that matches, trimmed to a readable length. */
export function firstMatchingLine(text: string, pattern: RegExp): string | undefined {
  const line = text.split('\n').find((l) => pattern.test(l));
  if (line === undefined) return undefined;
  try {
    // Structured logs (etcd's zap, Trellis's pino): the level, message and error say it; the stack trace does not.
    const entry = JSON.parse(line) as Record<string, unknown>;
    const level = entry.level ?? '';
    const message = entry.msg ?? entry.message ?? '';
    const error = entry.error ?? entry.err ?? '';
    return `${String(level)} ${String(message)}${error === '' ? '' : `: ${typeof error === 'string' ? error : JSON.stringify(error)}`}`.trim().slice(0, 300);
  } catch {
    return line.trim().slice(0, 300);
  }
}
