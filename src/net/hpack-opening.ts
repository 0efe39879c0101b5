// The first bytes of a connection to the client port, taken apart without
// consuming them: which protocol it speaks, and for HTTP/2 the :authority of
// its first request. etcd's cmux shares its client port the same way.
//
// Why the front answers SETTINGS itself: a Go gRPC client sends nothing
// after its preface and SETTINGS until the server's SETTINGS arrive, so the
// front could never see a first request. It sends an empty SETTINGS frame
// (all defaults, a valid server preface), waits for the request and for the
// client's ACK of that SETTINGS, and removes the ACK from the bytes it
// replays, since the real server never sent what it acknowledges. The real
// server's own SETTINGS follow as an ordinary update. PINGs arriving in the
// meantime are answered here too, so that no keepalive times out.

import { HpackError } from './hpack-error.js';
import { HpackDecoder, defaultHpackDecoderLimits } from './hpack-decoder.js';
import {
  FrameFlag, FrameType, clientPreface, concatBytes, encodeFrame, frameHeaderBytes, initialMaxFrameBytes, parseHeadersPayload, readFrameHeader, type FrameHeader,
} from './hpack-frames.js';

export type ProtocolGuess =
  | { readonly kind: 'undecided' }
  | { readonly kind: 'http1' }
  | { readonly kind: 'http2' }
  | { readonly kind: 'unknown'; readonly reason: string };

const http1Methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];
const candidates: readonly { readonly prefix: Uint8Array; readonly kind: 'http1' | 'http2' }[] = [
  { prefix: clientPreface, kind: 'http2' },
  ...http1Methods.map((method) => ({ prefix: Uint8Array.from(`${method} `, (c) => c.charCodeAt(0)), kind: 'http1' as const })),
];

/** No guess needs more than this many bytes. */
export const protocolGuessBytes = clientPreface.length;

/** HTTP/1.x if the bytes open with a method and a space, HTTP/2 if with the client preface. */
export function guessProtocol(firstBytes: Uint8Array): ProtocolGuess {
  let undecided = false;
  for (const { prefix, kind } of candidates) {
    const compared = Math.min(prefix.length, firstBytes.length);
    let same = true;
    for (let i = 0; i < compared && same; i++) same = prefix[i] === firstBytes[i];
    if (!same) continue;
    if (firstBytes.length >= prefix.length) return { kind };
    undecided = true;
  }
  if (undecided) return { kind: 'undecided' };
  return { kind: 'unknown', reason: `the first bytes ${JSON.stringify(String.fromCharCode(...firstBytes.subarray(0, 16)))} are neither an HTTP/1 request nor the HTTP/2 preface` };
}

/** The SETTINGS frame the front sends for the server: empty, so every setting keeps its initial value. */
export const frontSettingsFrame: Uint8Array = encodeFrame(FrameType.settings, 0, 0, new Uint8Array(0));

export interface OpeningLimits {
  /** Bytes held (and replayed) before the first request completes. */
  readonly maxHeldBytes: number;
}

/** DATA a client may send before the server grants more (HTTP/2's initial connection window). */
const initialConnectionWindowBytes = 65_535;

/**
 * A client that does not wait for the server's SETTINGS may send its first
 * request whole before it acknowledges the front's: a full connection window
 * of DATA, plus room for header blocks and control frames.
 */
export const defaultOpeningLimits: OpeningLimits = { maxHeldBytes: initialConnectionWindowBytes + 64 * 1024 };

export interface OpeningProgress {
  /** Frames to write back to the client now (PING acknowledgements). */
  readonly replies: Uint8Array[];
  /**
   * Set once the first request's header block is complete and the client has
   * acknowledged the front's SETTINGS: its :authority (null when it has none)
   * and the bytes to hand to the server in place of what the client sent.
   */
  readonly decided: { readonly authority: string | null; readonly replay: Uint8Array } | null;
}

/** Follows an HTTP/2 connection from its preface to its first request. Throws HpackError on a broken opening. */
export class Http2Opening {
  private pending: Uint8Array = new Uint8Array(0);
  private readonly kept: Uint8Array[] = [clientPreface];
  private receivedBytes = 0;
  private prefaceSeen = false;
  private settingsAcknowledged = false;
  /** undefined until the first request's header block is complete. */
  private authority: string | null | undefined = undefined;
  private block: { readonly streamId: number; readonly fragments: Uint8Array[] } | null = null;
  private readonly decoder = new HpackDecoder(defaultHpackDecoderLimits);

  constructor(private readonly limits: OpeningLimits = defaultOpeningLimits) {}

  /** Whether the client acknowledged the front's SETTINGS, so the bytes so far can go to the server. */
  get acknowledged(): boolean {
    return this.settingsAcknowledged;
  }

  /** Everything received so far but the ACK and the PINGs answered, down to a frame cut short at the end. */
  replay(): Uint8Array {
    return concatBytes([...this.kept, this.pending]);
  }

  push(chunk: Uint8Array): OpeningProgress {
    this.receivedBytes += chunk.length;
    if (this.receivedBytes > this.limits.maxHeldBytes) {
      throw new HpackError(`the client sent more than ${this.limits.maxHeldBytes} bytes before its first request was complete`);
    }
    this.pending = concatBytes([this.pending, chunk]);
    const replies: Uint8Array[] = [];
    if (!this.prefaceSeen) {
      if (this.pending.length < clientPreface.length) return { replies, decided: null };
      if (!clientPreface.every((byte, i) => this.pending[i] === byte)) throw new HpackError('the connection does not open with the HTTP/2 client preface');
      this.prefaceSeen = true;
      this.pending = this.pending.subarray(clientPreface.length);
    }
    let offset = 0;
    while (this.pending.length - offset >= frameHeaderBytes) {
      const header = readFrameHeader(this.pending, offset);
      // The client knows only the front's empty SETTINGS, so the initial maximum holds.
      if (header.length > initialMaxFrameBytes) throw new HpackError(`a frame of ${header.length} bytes exceeds the ${initialMaxFrameBytes} bytes allowed`);
      const end = offset + frameHeaderBytes + header.length;
      if (end > this.pending.length) break;
      const frame = this.pending.slice(offset, end);
      offset = end;
      this.frame(frame, header, replies);
    }
    this.pending = this.pending.slice(offset);
    const decided = this.authority !== undefined && this.settingsAcknowledged ? { authority: this.authority, replay: this.replay() } : null;
    return { replies, decided };
  }

  private frame(frame: Uint8Array, header: FrameHeader, replies: Uint8Array[]): void {
    const payload = frame.subarray(frameHeaderBytes);
    if (this.block !== null && (header.type !== FrameType.continuation || header.streamId !== this.block.streamId)) {
      throw new HpackError(`a frame of type ${header.type} interrupts the header block of stream ${this.block.streamId}`);
    }
    if (header.type === FrameType.settings && header.flags & FrameFlag.ack && !this.settingsAcknowledged) {
      if (header.length !== 0) throw new HpackError('a SETTINGS acknowledgement carries a payload');
      this.settingsAcknowledged = true;
      return;
    }
    if (header.type === FrameType.ping && !(header.flags & FrameFlag.ack) && header.streamId === 0 && header.length === 8) {
      replies.push(encodeFrame(FrameType.ping, FrameFlag.ack, 0, payload));
      return;
    }
    this.kept.push(frame);
    if (this.authority !== undefined) return;
    if (header.type === FrameType.headers) {
      if (header.streamId === 0) throw new HpackError('a HEADERS frame on stream 0');
      this.block = { streamId: header.streamId, fragments: [parseHeadersPayload(payload, header.flags).fragment] };
    } else if (header.type === FrameType.continuation) {
      if (this.block === null) throw new HpackError(`a CONTINUATION frame on stream ${header.streamId} follows no HEADERS`);
      this.block.fragments.push(payload);
    } else {
      return;
    }
    if (header.flags & FrameFlag.endHeaders) {
      const fields = this.decoder.decode(concatBytes(this.block.fragments));
      this.authority = fields.find((field) => field.name === ':authority')?.value ?? null;
      this.block = null;
    }
  }
}
