// Lines from a stream (txn's and watch -i's standard input), one at a time,
// as the user types them or as a pipe delivers them. Bounded: a line longer
// than maxLineBytes is an error, not an ever-growing buffer.

import type { Readable } from 'node:stream';
import { CliError, exitCodes } from './cli-error.js';

export const maxLineBytes = 16 * 1024 * 1024;

export class LineReader {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly input: Readable) {
    input.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      if (this.buffered.length > maxLineBytes && !this.buffered.includes(10)) {
        this.failure = new CliError(`an input line is longer than ${maxLineBytes} bytes`, exitCodes.invalidInput);
        input.pause();
      }
      this.wake?.();
    });
    input.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    input.on('error', (error) => {
      this.failure = error;
      this.wake?.();
    });
  }

  /** The next line without its newline, or null when input ends first (a last line with no newline counts as unfinished). */
  async next(): Promise<string | null> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      const newline = this.buffered.indexOf(10);
      if (newline >= 0) {
        const line = this.buffered.subarray(0, newline).toString('utf8');
        this.buffered = this.buffered.subarray(newline + 1);
        return line;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  close(): void {
    this.input.pause();
    this.input.removeAllListeners('data');
    this.input.destroy();
  }
}
