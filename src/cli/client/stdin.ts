// Reading standard input for put's value and txn's lines. Bounded: a value
// larger than any etcd request could carry is refused, not buffered forever.

import { readSync } from 'node:fs';
import { CliError, exitCodes } from './cli-error.js';

/** etcd refuses requests over 1.5 MiB by default; read a little more so the server can say so itself. */
export const maxStdinBytes = 64 * 1024 * 1024;

/** All of stdin as bytes (blocking, as etcdctl does), or null when there is none to read. */
export function readAllStdin(limitBytes = maxStdinBytes): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') break;
      return null;
    }
    if (read === 0) break;
    total += read;
    if (total > limitBytes) throw new CliError(`standard input is larger than ${limitBytes} bytes; etcd takes requests of at most a few MiB`, exitCodes.badArgs);
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  return Buffer.concat(chunks);
}
