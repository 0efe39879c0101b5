// Where the client commands write, and in which of etcdctl's formats. Keys
// and values are raw bytes, so stdout takes bytes, not just strings.

import { CliError, exitCodes } from './cli-error.js';

export const outputFormats = ['simple', 'json', 'table', 'fields', 'protobuf'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export interface Sink {
  out(chunk: string | Uint8Array): void;
  err(text: string): void;
}

export const processSink: Sink = {
  out: (chunk) => void process.stdout.write(chunk),
  err: (text) => void process.stderr.write(text),
};

export function parseOutputFormat(text: string): OutputFormat {
  const format = outputFormats.find((f) => f === text);
  if (format === undefined) throw new CliError(`unsupported output format ${JSON.stringify(text)}: choose one of ${outputFormats.join(', ')}`, exitCodes.badFeature);
  return format;
}

/** Checked before any request is sent, so an unprintable answer never follows a change (etcdctl checks only after). */
export function requireFormat(format: OutputFormat, supported: readonly OutputFormat[]): void {
  if (!supported.includes(format)) throw new CliError(`${format} not supported as output format`, exitCodes.badFeature);
}

/** Builds one write's worth of output from text and raw bytes. */
export class Lines {
  private readonly chunks: Buffer[] = [];

  line(...parts: (string | Uint8Array)[]): this {
    for (const part of parts) this.chunks.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part.buffer, part.byteOffset, part.length));
    this.chunks.push(newline);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const newline = Buffer.from('\n');
