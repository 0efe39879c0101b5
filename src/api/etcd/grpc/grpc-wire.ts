// gRPC over HTTP/2 as written on the wire (grpc/grpc PROTOCOL-HTTP2.md):
// the header blocks of an answer, length-prefixed messages, grpc-timeout and
// the percent-encoded grpc-message. Header blocks are HPACK without the
// dynamic table, so each can be built once or on its own.

import { HpackEncoder } from '../../../net/hpack-encoder.js';
import { scratchBytes } from '../../../scratch-bytes.js';

const encoder = new HpackEncoder();

/** :status 200 and content-type application/grpc: every answer's headers. */
export const responseHeadersBlock: Uint8Array = encoder.encode([
  { name: ':status', value: '200' },
  { name: 'content-type', value: 'application/grpc' },
]);

/** The trailers of a call that succeeded. */
export const okTrailersBlock: Uint8Array = encoder.encode([{ name: 'grpc-status', value: '0' }]);

/** Trailers carrying a status; with `trailersOnly` the block is the whole answer and carries :status and content-type too. */
export function statusBlock(code: number, details: string, trailersOnly: boolean): Uint8Array {
  const fields = [{ name: 'grpc-status', value: String(code) }, { name: 'grpc-message', value: percentEncode(details) }];
  return encoder.encode(trailersOnly ? [{ name: ':status', value: '200' }, { name: 'content-type', value: 'application/grpc' }, ...fields] : fields);
}

/** grpc-message: UTF-8, with '%' and every byte outside printable ASCII as %XX; HPACK strings here are one char per byte. */
export function percentEncode(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length && plain; i++) {
    const c = text.charCodeAt(i);
    plain = c >= 0x20 && c <= 0x7e && c !== 0x25;
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const timeoutUnitsMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout ("1S", "250m", up to 8 digits and a unit) in milliseconds; undefined when absent or malformed. */
export function parseGrpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = timeoutUnitsMs[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return undefined;
  return Number(digits) * unit;
}

/** A serialized message with gRPC's 5-byte prefix (uncompressed, big-endian length), ready to be a DATA payload. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const framed = scratchBytes(5 + message.length);
  framed[0] = 0; // not compressed
  const length = message.length;
  framed[1] = length >>> 24;
  framed[2] = (length >>> 16) & 0xff;
  framed[3] = (length >>> 8) & 0xff;
  framed[4] = length & 0xff;
  framed.set(message, 5);
  return framed;
}

export type ReadOutcome = { readonly kind: 'message'; readonly bytes: Buffer } | { readonly kind: 'too-large'; readonly length: number } | { readonly kind: 'compressed' };

/**
 * Cuts a request body into messages. Each message is copied into a buffer of
 * its own exact size, so what the decoder hands on (protobufjs' bytes fields
 * are views) holds that message and nothing else of the socket's data.
 */
export class MessageReader {
  private header = new Uint8Array(5);
  private headerFilled = 0;
  private body: Uint8Array | null = null;
  private bodyFilled = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** True when no message is cut in the middle. */
  get atBoundary(): boolean {
    return this.headerFilled === 0 && this.body === null;
  }

  push(chunk: Uint8Array, each: (outcome: ReadOutcome) => boolean): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body === null) {
        const take = Math.min(5 - this.headerFilled, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFilled);
        this.headerFilled += take;
        at += take;
        if (this.headerFilled < 5) return;
        const h = this.header;
        const length = ((h[1]! << 24) | (h[2]! << 16) | (h[3]! << 8) | h[4]!) >>> 0;
        if (h[0] !== 0) return void each({ kind: 'compressed' });
        if (length > this.maxMessageBytes) return void each({ kind: 'too-large', length });
        this.headerFilled = 0;
        this.body = new Uint8Array(length);
        this.bodyFilled = 0;
      }
      const take = Math.min(this.body.length - this.bodyFilled, chunk.length - at);
      this.body.set(chunk.subarray(at, at + take), this.bodyFilled);
      this.bodyFilled += take;
      at += take;
      if (this.bodyFilled === this.body.length) {
        const done = this.body;
        this.body = null;
        if (!each({ kind: 'message', bytes: Buffer.from(done.buffer, done.byteOffset, done.length) })) return;
      }
    }
  }
}
