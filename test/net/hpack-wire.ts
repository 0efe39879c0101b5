// Test helpers that speak HTTP/2 at the byte level: a client writing
// frames the way real clients may (Huffman, dynamic table, padding,
// priority, CONTINUATION), and a server-side reader that takes a byte stream
// back apart into frames and decoded header blocks.

import { HpackDecoder } from '../../src/net/hpack-decoder.js';
import { HpackEncoder } from '../../src/net/hpack-encoder.js';
import { FrameFlag, FrameType, clientPreface, concatBytes, encodeFrame, frameHeaderBytes, readFrameHeader } from '../../src/net/hpack-frames.js';
import type { HeaderField } from '../../src/net/hpack-tables.js';

export interface HeadersOptions {
  readonly endStream?: boolean;
  readonly padLength?: number;
  readonly priority?: boolean;
  /** Sizes of the block's pieces: the first goes in HEADERS, the rest in CONTINUATION frames. */
  readonly splitAt?: readonly number[];
}

export class WireClient {
  readonly encoder: HpackEncoder;

  constructor(options: { huffman: boolean; indexing: boolean; tableSizeBytes?: number } = { huffman: true, indexing: true }) {
    this.encoder = new HpackEncoder({ huffman: options.huffman, indexing: options.indexing, tableSizeBytes: options.tableSizeBytes ?? 4096 });
  }

  preface(): Uint8Array {
    return clientPreface;
  }

  settings(values: readonly [number, number][] = []): Uint8Array {
    const payload = new Uint8Array(values.length * 6);
    values.forEach(([id, value], i) => {
      new DataView(payload.buffer).setUint16(i * 6, id);
      new DataView(payload.buffer).setUint32(i * 6 + 2, value);
    });
    return encodeFrame(FrameType.settings, 0, 0, payload);
  }

  settingsAck(): Uint8Array {
    return encodeFrame(FrameType.settings, FrameFlag.ack, 0, new Uint8Array(0));
  }

  ping(opaque: number): Uint8Array {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(4, opaque);
    return encodeFrame(FrameType.ping, 0, 0, payload);
  }

  data(streamId: number, payload: Uint8Array, endStream = false): Uint8Array {
    return encodeFrame(FrameType.data, endStream ? FrameFlag.endStream : 0, streamId, payload);
  }

  windowUpdate(streamId: number, increment: number): Uint8Array {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, increment);
    return encodeFrame(FrameType.windowUpdate, 0, streamId, payload);
  }

  headers(streamId: number, fields: readonly HeaderField[], options: HeadersOptions = {}): Uint8Array {
    return this.headerFrames(streamId, this.encoder.encode(fields), options);
  }

  headerFrames(streamId: number, block: Uint8Array, options: HeadersOptions = {}): Uint8Array {
    const pieces: Uint8Array[] = [];
    let offset = 0;
    for (const size of options.splitAt ?? []) {
      if (offset >= block.length) break;
      pieces.push(block.subarray(offset, offset + size));
      offset += size;
    }
    pieces.push(block.subarray(offset));
    const frames: Uint8Array[] = [];
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      if (i === 0) {
        const pad = options.padLength;
        const prefix = [...(pad === undefined ? [] : [pad]), ...(options.priority ? [0x80, 0, 0, 3, 15] : [])];
        const payload = concatBytes([Uint8Array.from(prefix), piece, new Uint8Array(pad ?? 0)]);
        const flags = (options.endStream ? FrameFlag.endStream : 0) | (last ? FrameFlag.endHeaders : 0) | (pad === undefined ? 0 : FrameFlag.padded) | (options.priority ? FrameFlag.priority : 0);
        frames.push(encodeFrame(FrameType.headers, flags, streamId, payload));
      } else {
        frames.push(encodeFrame(FrameType.continuation, last ? FrameFlag.endHeaders : 0, streamId, piece));
      }
    });
    return concatBytes(frames);
  }
}

export type WireEvent =
  | { readonly kind: 'headers'; readonly streamId: number; readonly endStream: boolean; readonly priority: boolean; readonly fields: HeaderField[] }
  | { readonly kind: 'frame'; readonly type: number; readonly flags: number; readonly streamId: number; readonly payload: Uint8Array };

export interface ParsedStream {
  readonly events: WireEvent[];
  readonly largestFrameBytes: number;
  /** The server-side decoder, to inspect its dynamic table. */
  readonly decoder: HpackDecoder;
}

/** Takes a client-to-server byte stream (preface first) apart as an HTTP/2 server would. */
export function parseClientStream(bytes: Uint8Array, decoder = new HpackDecoder()): ParsedStream {
  for (let i = 0; i < clientPreface.length; i++) if (bytes[i] !== clientPreface[i]) throw new Error('the stream does not open with the preface');
  const events: WireEvent[] = [];
  let offset = clientPreface.length;
  let largestFrameBytes = 0;
  let block: { streamId: number; endStream: boolean; priority: boolean; fragments: Uint8Array[] } | null = null;
  while (offset < bytes.length) {
    if (bytes.length - offset < frameHeaderBytes) throw new Error('the stream ends inside a frame header');
    const header = readFrameHeader(bytes, offset);
    const payload = bytes.subarray(offset + frameHeaderBytes, offset + frameHeaderBytes + header.length);
    if (payload.length < header.length) throw new Error('the stream ends inside a frame');
    offset += frameHeaderBytes + header.length;
    largestFrameBytes = Math.max(largestFrameBytes, header.length);
    if (header.type === FrameType.headers) {
      let start = 0;
      let pad = 0;
      if (header.flags & FrameFlag.padded) pad = payload[start++]!;
      if (header.flags & FrameFlag.priority) start += 5;
      block = { streamId: header.streamId, endStream: (header.flags & FrameFlag.endStream) !== 0, priority: (header.flags & FrameFlag.priority) !== 0, fragments: [payload.subarray(start, payload.length - pad)] };
    } else if (header.type === FrameType.continuation) {
      if (block === null) throw new Error('CONTINUATION without HEADERS');
      block.fragments.push(payload);
    } else {
      events.push({ kind: 'frame', type: header.type, flags: header.flags, streamId: header.streamId, payload: payload.slice() });
      continue;
    }
    if (header.flags & FrameFlag.endHeaders) {
      events.push({ kind: 'headers', streamId: block.streamId, endStream: block.endStream, priority: block.priority, fields: decoder.decode(concatBytes(block.fragments)) });
      block = null;
    }
  }
  return { events, largestFrameBytes, decoder };
}

/** Splits bytes into chunks of the given sizes, cycling through them. */
export function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return chunks;
}
