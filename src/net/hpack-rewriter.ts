// Rewrites the :authority (and host) of every request on one HTTP/2
// connection, from the client's bytes to the bytes the server reads, for
// clients whose authority Node's HTTP/2 server would refuse (see
// hpack-authority.ts). Everything but header blocks passes through as it
// came, DATA included, without being buffered. Each header block is decoded
// with the client's HPACK state and re-encoded without the dynamic table, so
// the server's table stays empty whatever the client's holds; every block
// opens with a table size update to 0, which keeps the server's decoder
// satisfied even if its own SETTINGS_HEADER_TABLE_SIZE shrinks.
//
// The server's bytes go to the client untouched; the rewriter only reads
// their SETTINGS, which bound what the client may send.

import { isAcceptableAuthority, repairAuthority } from './hpack-authority.js';
import { HpackDecoder, defaultHeaderTableSizeBytes } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { HpackError } from './hpack-error.js';
import {
  FrameFlag, FrameType, Setting, clientPreface, concatBytes, encodeHeaderBlock, frameHeaderBytes, initialMaxFrameBytes, largestMaxFrameBytes,
  parseHeadersPayload, parseSettings, readFrameHeader, type FrameHeader,
} from './hpack-frames.js';
import type { HeaderField } from './hpack-tables.js';

export interface RewriterLimits {
  /** The largest header block (all its fragments) the rewriter buffers. */
  readonly maxHeaderBlockBytes: number;
  /** The largest decoded header list. */
  readonly maxHeaderListBytes: number;
  /** The largest dynamic table the client may use, whatever the server advertises. */
  readonly maxTableSizeBytes: number;
}

export const defaultRewriterLimits: RewriterLimits = {
  maxHeaderBlockBytes: 64 * 1024,
  maxHeaderListBytes: 64 * 1024,
  maxTableSizeBytes: 64 * 1024,
};

const maxSettingsPayloadBytes = 6 * 64;

interface PendingBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly priority: Uint8Array | null;
  readonly fragments: Uint8Array[];
  size: number;
}

/** Reads a stream of frames in arbitrary chunks: frame headers are gathered, payloads handed out piece by piece. */
class FrameCursor {
  private readonly header = new Uint8Array(frameHeaderBytes);
  private headerFilled = 0;
  current: FrameHeader | null = null;
  payloadLeft = 0;

  /** Consumes header bytes from chunk at offset; returns the new offset. `current` is set when a header completes. */
  takeHeader(chunk: Uint8Array, offset: number): number {
    const take = Math.min(frameHeaderBytes - this.headerFilled, chunk.length - offset);
    this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
    this.headerFilled += take;
    if (this.headerFilled === frameHeaderBytes) {
      this.current = readFrameHeader(this.header, 0);
      this.payloadLeft = this.current.length;
      this.headerFilled = 0;
    }
    return offset + take;
  }

  /** The frame being read, if its header is complete (a method, so that callers re-read it after takeHeader). */
  frame(): FrameHeader | null {
    return this.current;
  }

  headerBytes(): Uint8Array {
    return this.header.slice();
  }
}

export class AuthorityRewriter {
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private prefaceLeft = clientPreface.length;
  private readonly client = new FrameCursor();
  private collected: Uint8Array | null = null;
  private collectedBytes = 0;
  private block: PendingBlock | null = null;
  private acceptedFrameBytes = initialMaxFrameBytes;
  private readonly server = new FrameCursor();
  private serverSettings: Uint8Array | null = null;
  private serverSettingsBytes = 0;
  /** Header blocks re-encoded, and authorities among them that had to be mended. */
  rewrittenBlocks = 0;
  repairedAuthorities = 0;

  constructor(private readonly fallbackAuthority: string, private readonly limits: RewriterLimits = defaultRewriterLimits) {
    this.decoder = new HpackDecoder({ maxTableSizeBytes: defaultHeaderTableSizeBytes, maxHeaderListBytes: limits.maxHeaderListBytes });
  }

  /** Takes bytes from the client; returns the bytes to give the server, in order. Throws HpackError. */
  fromClient(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, chunk.length);
      out.push(chunk.subarray(0, take));
      this.prefaceLeft -= take;
      offset = take;
    }
    while (offset < chunk.length) {
      if (this.client.current === null) {
        const start = offset;
        offset = this.client.takeHeader(chunk, offset);
        const header = this.client.frame();
        if (header === null) break;
        this.frameStarts(header, offset - start === frameHeaderBytes ? chunk.subarray(start, offset) : this.client.headerBytes(), out);
      } else {
        const take = Math.min(this.client.payloadLeft, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + take);
        offset += take;
        this.client.payloadLeft -= take;
        if (this.collected === null) {
          out.push(piece);
        } else {
          this.collected.set(piece, this.collectedBytes);
          this.collectedBytes += take;
        }
      }
      const header = this.client.current;
      if (header !== null && this.client.payloadLeft === 0) {
        this.client.current = null;
        if (this.collected !== null) {
          const payload = this.collected;
          this.collected = null;
          this.headerFrame(header, payload, out);
        }
      }
    }
    return coalesce(out);
  }

  /** Sees bytes on their way from the server to the client (they are not changed). */
  fromServer(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.server.current === null) {
        offset = this.server.takeHeader(chunk, offset);
        const header = this.server.frame();
        if (header === null) break;
        const settings = header.type === FrameType.settings && !(header.flags & FrameFlag.ack) && header.length <= maxSettingsPayloadBytes;
        this.serverSettings = settings ? new Uint8Array(header.length) : null;
        this.serverSettingsBytes = 0;
      } else {
        const take = Math.min(this.server.payloadLeft, chunk.length - offset);
        this.serverSettings?.set(chunk.subarray(offset, offset + take), this.serverSettingsBytes);
        this.serverSettingsBytes += take;
        this.server.payloadLeft -= take;
        offset += take;
      }
      if (this.server.current !== null && this.server.payloadLeft === 0) {
        this.server.current = null;
        if (this.serverSettings !== null) this.applyServerSettings(this.serverSettings);
        this.serverSettings = null;
      }
    }
  }

  private applyServerSettings(payload: Uint8Array): void {
    for (const [id, value] of parseSettings(payload)) {
      // The client may use any size the server has allowed; more than the limit is refused when it is used.
      if (id === Setting.headerTableSize) this.decoder.allowTableSize(Math.min(Math.max(value, defaultHeaderTableSizeBytes), this.limits.maxTableSizeBytes));
      if (id === Setting.maxFrameSize) this.acceptedFrameBytes = Math.max(this.acceptedFrameBytes, Math.min(value, largestMaxFrameBytes));
    }
  }

  private frameStarts(header: FrameHeader, headerBytes: Uint8Array, out: Uint8Array[]): void {
    if (header.length > this.acceptedFrameBytes) throw new HpackError(`a frame of ${header.length} bytes exceeds the ${this.acceptedFrameBytes} bytes the server accepts`);
    if (this.block !== null && (header.type !== FrameType.continuation || header.streamId !== this.block.streamId)) {
      throw new HpackError(`a frame of type ${header.type} interrupts the header block of stream ${this.block.streamId}`);
    }
    if (header.type === FrameType.pushPromise) throw new HpackError('a client sent PUSH_PROMISE, which only servers may send');
    if (header.type === FrameType.headers || header.type === FrameType.continuation) {
      const blockSoFar = this.block?.size ?? 0;
      if (blockSoFar + header.length > this.limits.maxHeaderBlockBytes) {
        throw new HpackError(`a header block exceeds the ${this.limits.maxHeaderBlockBytes} bytes the front buffers`);
      }
      this.collected = new Uint8Array(header.length);
      this.collectedBytes = 0;
      if (header.length === 0) {
        this.client.current = null;
        this.collected = null;
        this.headerFrame(header, new Uint8Array(0), out);
      }
      return;
    }
    out.push(headerBytes);
    if (header.length === 0) this.client.current = null;
  }

  private headerFrame(header: FrameHeader, payload: Uint8Array, out: Uint8Array[]): void {
    if (header.type === FrameType.headers) {
      if (header.streamId === 0) throw new HpackError('a HEADERS frame on stream 0');
      const { fragment, priority } = parseHeadersPayload(payload, header.flags);
      this.block = { streamId: header.streamId, endStream: (header.flags & FrameFlag.endStream) !== 0, priority, fragments: [fragment], size: payload.length };
    } else {
      if (this.block === null) throw new HpackError(`a CONTINUATION frame on stream ${header.streamId} follows no HEADERS`);
      this.block.fragments.push(payload);
      this.block.size += payload.length;
    }
    if (header.flags & FrameFlag.endHeaders) {
      const block = this.block;
      this.block = null;
      out.push(this.reencode(block));
    }
  }

  private reencode(block: PendingBlock): Uint8Array {
    const fields = this.decoder.decode(concatBytes(block.fragments)).map((field) => this.mend(field));
    this.encoder.setTableSize(0); // opens the block with a table size update to 0
    const encoded = this.encoder.encodeToView(fields);
    this.rewrittenBlocks++;
    // Every server accepts frames of the initial maximum size.
    return encodeHeaderBlock(block.streamId, block.endStream, block.priority, encoded, initialMaxFrameBytes);
  }

  private mend(field: HeaderField): HeaderField {
    if ((field.name !== ':authority' && field.name !== 'host') || isAcceptableAuthority(field.value)) return field;
    this.repairedAuthorities++;
    return { ...field, value: repairAuthority(field.value, this.fallbackAuthority) };
  }
}

/** Joins pieces that are adjacent views of the same buffer, so a chunk that passes through unchanged stays one piece. */
function coalesce(pieces: Uint8Array[]): Uint8Array[] {
  if (pieces.length < 2) return pieces;
  const joined: Uint8Array[] = [pieces[0]!];
  for (let i = 1; i < pieces.length; i++) {
    const last = joined[joined.length - 1]!;
    const piece = pieces[i]!;
    if (last.buffer === piece.buffer && last.byteOffset + last.byteLength === piece.byteOffset) {
      joined[joined.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + piece.byteLength);
    } else {
      joined.push(piece);
    }
  }
  return joined;
}
