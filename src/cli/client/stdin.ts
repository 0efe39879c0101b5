// Reading standard input for put's value. Bounded: a value larger than any
// etcd request could carry is refused, not buffered forever.

import { CliError, exitCodes } from './cli-error.js';

/** etcd refuses requests over 1.5 MiB by default; read well past that so the server can say so itself. */
export const maxStdinBytes = 64 * 1024 * 1024;

/** All of stdin as bytes (waiting for its end, as etcdctl does), or null when there is none. */
export async function readAllStdin(limitBytes = maxStdinBytes): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limitBytes) {
        process.stdin.destroy();
        throw new CliError(`standard input is larger than ${limitBytes} bytes; etcd takes requests of at most a few MiB`, exitCodes.badArgs);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    return null;
  }
  return Buffer.concat(chunks);
}
