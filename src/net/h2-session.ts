// The server side of one HTTP/2 connection (RFC 9113), as much of it as a
// gRPC server needs: the preface and SETTINGS, header blocks through HPACK,
// request bodies, flow control both ways, PING, RST_STREAM and GOAWAY. It
// is pure: bytes come in through receive(), frames go out through the sink,
// and the application (the gRPC layer) hears about requests and answers
// them through respond/sendData/end. Node's own HTTP/2 stack does the same
// job with a native session and a stream object per request; this one does
// it in a few allocations per request: on a busy member Node's stack cost
// more than everything behind the API.
//
// Bounds: frames up to maxFrameBytes, header blocks up to maxHeaderListBytes,
// at most maxConcurrentStreams open requests (more are refused with
// REFUSED_STREAM), receive windows of the configured sizes; what waits to be
// sent is bounded by the peer's windows and by the application, which stops
// writing when queuedBytes() grows (the gRPC layer's write() returns false).

import { assert } from '../assert.js';
import { HpackDecoder } from './hpack-decoder.js';
import { HpackError } from './hpack-error.js';
import { FrameFlag, FrameType, clientPreface, frameHeaderBytes, initialMaxFrameBytes, parseHeadersPayload, parseSettings } from './hpack-frames.js';
import type { HeaderField } from './hpack-tables.js';
import { H2Outbound, type H2Sink } from './h2-outbound.js';
import {
  H2Error, H2Setting, goawayFrame, initialWindowBytes, maxWindowBytes, pingAckFrame, rstStreamFrame, settingsAckFrame, settingsFrame, windowUpdateFrame,
} from './h2-frames-out.js';
import { H2Stream } from './h2-stream.js';

export type { H2Sink } from './h2-outbound.js';
export { H2Stream, type H2StreamListener } from './h2-stream.js';

export interface H2SessionLimits {
  /** Requests open at once; SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxConcurrentStreams: number;
  /** Each stream's receive window: SETTINGS_INITIAL_WINDOW_SIZE. */
  readonly streamWindowBytes: number;
  /** The connection's receive window. */
  readonly connectionWindowBytes: number;
  /** The largest frame accepted: SETTINGS_MAX_FRAME_SIZE. */
  readonly maxFrameBytes: number;
  /** The largest header block, encoded or decoded: SETTINGS_MAX_HEADER_LIST_SIZE. */
  readonly maxHeaderListBytes: number;
}

export const defaultH2SessionLimits: H2SessionLimits = {
  maxConcurrentStreams: 1000,
  streamWindowBytes: 1024 * 1024,
  connectionWindowBytes: 8 * 1024 * 1024,
  maxFrameBytes: initialMaxFrameBytes,
  maxHeaderListBytes: 64 * 1024,
};

/** The application behind the session: told of each new request. */
export interface H2Application {
  /** A request's header block. The application sets stream.listener to hear the rest, or answers at once. */
  request(stream: H2Stream, fields: readonly HeaderField[]): void;
  /** The connection is over (closed by either side, or broken); every open stream has been reset first. */
  closed(reason: string): void;
}

class ConnectionError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class H2Session {
  private readonly streams = new Map<number, H2Stream>();
  private readonly decoder: HpackDecoder;
  private readonly out: H2Outbound;
  private pending: Uint8Array = new Uint8Array(0);
  private prefaceSeen = false;
  private settingsSeen = false;
  private lastStreamId = 0;
  private peerInitialWindow = initialWindowBytes;
  private connectionReceiveWindow = initialWindowBytes;
  private connectionReceivedSinceUpdate = 0;
  private headerBlock: { stream: number; endStream: boolean; fragments: Uint8Array[]; bytes: number } | null = null;
  private goingAway = false;
  private dead = false;

  constructor(private readonly limits: H2SessionLimits, sink: H2Sink, private readonly app: H2Application) {
    // Below the initial 65,535 a client could overrun a window before it hears of it.
    assert(limits.streamWindowBytes >= initialWindowBytes && limits.connectionWindowBytes >= initialWindowBytes && limits.streamWindowBytes <= maxWindowBytes
      && limits.connectionWindowBytes <= maxWindowBytes, 'receive windows must lie between 65,535 and 2^31-1 bytes');
    assert(limits.maxFrameBytes >= initialMaxFrameBytes && limits.maxFrameBytes < 2 ** 24 && limits.maxConcurrentStreams >= 1, 'frame and stream limits out of range');
    this.decoder = new HpackDecoder({ maxTableSizeBytes: 4096, maxHeaderListBytes: limits.maxHeaderListBytes });
    this.out = new H2Outbound(sink, this.streamEndWritten);
  }

  /** Sends the server's SETTINGS and opens the connection window; call once, before receive(). */
  start(): void {
    this.out.control(settingsFrame([
      [H2Setting.maxConcurrentStreams, this.limits.maxConcurrentStreams],
      [H2Setting.initialWindowSize, this.limits.streamWindowBytes],
      [H2Setting.maxFrameSize, this.limits.maxFrameBytes],
      [H2Setting.maxHeaderListSize, this.limits.maxHeaderListBytes],
    ]));
    const extra = this.limits.connectionWindowBytes - initialWindowBytes;
    if (extra > 0) this.out.control(windowUpdateFrame(0, extra));
    this.connectionReceiveWindow = this.limits.connectionWindowBytes;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  get isClosed(): boolean {
    return this.dead;
  }

  receive(chunk: Uint8Array): void {
    if (this.dead) return;
    let bytes = chunk;
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pending.length + chunk.length);
      bytes.set(this.pending);
      bytes.set(chunk, this.pending.length);
      this.pending = new Uint8Array(0);
    }
    let offset = 0;
    try {
      if (!this.prefaceSeen) {
        const compared = Math.min(bytes.length, clientPreface.length);
        for (let i = 0; i < compared; i++) if (bytes[i] !== clientPreface[i]) throw new ConnectionError(H2Error.protocolError, 'the connection does not open with the HTTP/2 client preface');
        if (bytes.length < clientPreface.length) {
          this.pending = bytes.slice();
          return;
        }
        this.prefaceSeen = true;
        offset = clientPreface.length;
      }
      while (bytes.length - offset >= frameHeaderBytes && !this.dead) {
        const length = (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
        if (length > this.limits.maxFrameBytes) throw new ConnectionError(H2Error.frameSizeError, `a frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.limits.maxFrameBytes}`);
        if (bytes.length - offset - frameHeaderBytes < length) break;
        const type = bytes[offset + 3]!;
        const flags = bytes[offset + 4]!;
        const streamId = ((bytes[offset + 5]! & 0x7f) * 2 ** 24) + ((bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 8) | bytes[offset + 8]!);
        const payload = bytes.subarray(offset + frameHeaderBytes, offset + frameHeaderBytes + length);
        offset += frameHeaderBytes + length;
        this.frame(type, flags, streamId, payload);
      }
    } catch (error) {
      if (error instanceof ConnectionError) return this.fail(error.code, error.message);
      if (error instanceof HpackError) return this.fail(H2Error.compressionError, error.message);
      throw error;
    }
    // Keep the partial frame in a copy of its own, so the socket's chunk is not held.
    if (offset < bytes.length && !this.dead) this.pending = bytes.slice(offset);
  }

  // ---- answering (the application's side) ----

  /** Response headers, a body and trailers in one go: the whole of a unary answer. */
  respond(stream: H2Stream, headers: Uint8Array, body: Uint8Array, trailers: Uint8Array): void {
    if (stream.localEnded || this.dead) return;
    stream.localEnded = true;
    stream.headersSent = true;
    this.out.respond(stream, headers, body, trailers);
    this.afterLocalEnd(stream);
  }

  sendHeaders(stream: H2Stream, block: Uint8Array): void {
    if (stream.localEnded || stream.headersSent || this.dead) return;
    stream.headersSent = true;
    this.out.headers(stream, block, false);
  }

  sendData(stream: H2Stream, payload: Uint8Array): void {
    if (stream.localEnded || this.dead) return;
    this.out.data(stream, payload);
  }

  /** Ends the stream with a header block (trailers, or a whole trailers-only response) after any queued data. */
  end(stream: H2Stream, block: Uint8Array): void {
    if (stream.localEnded || this.dead) return;
    stream.localEnded = true;
    stream.headersSent = true;
    this.out.end(stream, block);
    this.afterLocalEnd(stream);
  }

  resetStream(stream: H2Stream, code: number): void {
    if (stream.closed || this.dead) return;
    stream.localEnded = true;
    stream.discard();
    this.out.control(rstStreamFrame(stream.id, code));
    this.closeStream(stream);
  }

  queuedBytes(stream: H2Stream): number {
    return stream.queuedBytes;
  }

  /** The sink can take more: resume streams that waited for it. */
  sinkDrained(): void {
    if (!this.dead) this.out.resume();
  }

  /** Closes the connection: GOAWAY, then the sink once written. Streams still open are reset. */
  close(reason = 'server closing'): void {
    if (this.dead) return;
    this.out.control(goawayFrame(this.lastStreamId, H2Error.noError, reason));
    this.teardown(reason);
  }

  /** The transport under the session is gone. */
  transportClosed(reason: string): void {
    if (!this.dead) this.teardown(reason);
  }

  // ---- frames from the client ----

  private frame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    if (this.headerBlock !== null && (type !== FrameType.continuation || streamId !== this.headerBlock.stream)) {
      throw new ConnectionError(H2Error.protocolError, `a frame of type ${type} interrupts the header block of stream ${this.headerBlock.stream}`);
    }
    if (!this.settingsSeen && type !== FrameType.settings) throw new ConnectionError(H2Error.protocolError, 'the client preface is not followed by SETTINGS');
    switch (type) {
      case FrameType.data:
        return this.dataFrame(flags, streamId, payload);
      case FrameType.headers:
        return this.headersFrame(flags, streamId, payload);
      case FrameType.continuation:
        return this.continuationFrame(flags, streamId, payload);
      case FrameType.priority:
        if (streamId === 0 || payload.length !== 5) throw new ConnectionError(H2Error.protocolError, 'a malformed PRIORITY frame');
        return;
      case FrameType.rstStream:
        return this.rstStreamFrame(streamId, payload);
      case FrameType.settings:
        return this.settingsFrame(flags, streamId, payload);
      case FrameType.pushPromise:
        throw new ConnectionError(H2Error.protocolError, 'a client may not send PUSH_PROMISE');
      case FrameType.ping:
        if (streamId !== 0 || payload.length !== 8) throw new ConnectionError(payload.length !== 8 ? H2Error.frameSizeError : H2Error.protocolError, 'a malformed PING frame');
        if (!(flags & FrameFlag.ack)) this.out.control(pingAckFrame(payload));
        return;
      case FrameType.goaway:
        // The client opens nothing more; what is open finishes, and the client closes the socket.
        this.goingAway = true;
        return;
      case FrameType.windowUpdate:
        return this.windowUpdateFrame(streamId, payload);
      default:
        return; // Unknown frame types are ignored (RFC 9113 section 4.1).
    }
  }

  private settingsFrame(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId !== 0) throw new ConnectionError(H2Error.protocolError, 'SETTINGS on a stream');
    if (flags & FrameFlag.ack) {
      if (payload.length !== 0) throw new ConnectionError(H2Error.frameSizeError, 'a SETTINGS acknowledgement carries a payload');
      return;
    }
    this.settingsSeen = true;
    let settings: [number, number][];
    try {
      settings = parseSettings(payload);
    } catch (error) {
      throw new ConnectionError(H2Error.frameSizeError, (error as Error).message);
    }
    for (const [id, value] of settings) {
      if (id === H2Setting.initialWindowSize) {
        if (value > maxWindowBytes) throw new ConnectionError(H2Error.flowControlError, `SETTINGS_INITIAL_WINDOW_SIZE ${value} exceeds 2^31-1`);
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > maxWindowBytes) throw new ConnectionError(H2Error.flowControlError, `stream ${stream.id}'s window overflows`);
        }
      } else if (id === H2Setting.maxFrameSize) {
        if (value < initialMaxFrameBytes || value > 2 ** 24 - 1) throw new ConnectionError(H2Error.protocolError, `SETTINGS_MAX_FRAME_SIZE ${value} is out of range`);
        this.out.peerMaxFrameBytes = value;
      } else if (id === H2Setting.enablePush && value > 1) {
        throw new ConnectionError(H2Error.protocolError, `SETTINGS_ENABLE_PUSH ${value} is neither 0 nor 1`);
      }
      // The encoder never uses its dynamic table (see H2Outbound), so SETTINGS_HEADER_TABLE_SIZE needs nothing.
    }
    this.out.control(settingsAckFrame);
    this.out.resume();
  }

  private headersFrame(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(H2Error.protocolError, `HEADERS on stream ${streamId}, which a client may not open`);
    let fragment: Uint8Array;
    try {
      fragment = parseHeadersPayload(payload, flags).fragment;
    } catch (error) {
      throw new ConnectionError(H2Error.protocolError, (error as Error).message);
    }
    this.headerBlock = { stream: streamId, endStream: (flags & FrameFlag.endStream) !== 0, fragments: [fragment], bytes: fragment.length };
    if (flags & FrameFlag.endHeaders) this.headerBlockDone();
  }

  private continuationFrame(flags: number, streamId: number, payload: Uint8Array): void {
    const block = this.headerBlock;
    if (block === null) throw new ConnectionError(H2Error.protocolError, `a CONTINUATION frame on stream ${streamId} follows no HEADERS`);
    block.bytes += payload.length;
    if (block.bytes > this.limits.maxHeaderListBytes) throw new ConnectionError(H2Error.enhanceYourCalm, `a header block over ${this.limits.maxHeaderListBytes} bytes`);
    block.fragments.push(payload);
    if (flags & FrameFlag.endHeaders) this.headerBlockDone();
  }

  private headerBlockDone(): void {
    const block = this.headerBlock!;
    this.headerBlock = null;
    let encoded = block.fragments[0]!;
    if (block.fragments.length > 1) {
      encoded = new Uint8Array(block.bytes);
      let at = 0;
      for (const fragment of block.fragments) {
        encoded.set(fragment, at);
        at += fragment.length;
      }
    }
    // Every block is decoded, even one for a stream refused below: the decoder's table must follow the client's.
    const fields = this.decoder.decode(encoded);
    const known = this.streams.get(block.stream);
    if (known !== undefined) {
      // A second header block on an open stream is the client's trailers: it must end the stream.
      if (!block.endStream || known.remoteEnded) return this.refuse(known.id, H2Error.protocolError);
      return this.remoteEnd(known);
    }
    if (block.stream <= this.lastStreamId) return this.refuse(block.stream, H2Error.streamClosed);
    this.lastStreamId = block.stream;
    if (this.goingAway || this.streams.size >= this.limits.maxConcurrentStreams) return this.refuse(block.stream, H2Error.refusedStream);
    const stream = new H2Stream(block.stream, this.peerInitialWindow, this.limits.streamWindowBytes);
    this.streams.set(stream.id, stream);
    this.app.request(stream, fields);
    if (block.endStream && !stream.closed) this.remoteEnd(stream);
  }

  private dataFrame(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId === 0) throw new ConnectionError(H2Error.protocolError, 'DATA on stream 0');
    // Flow control counts the whole frame, padding and all, whatever becomes of the stream.
    this.connectionReceiveWindow -= payload.length;
    if (this.connectionReceiveWindow < 0) throw new ConnectionError(H2Error.flowControlError, 'the client sent more than the connection window');
    this.connectionReceivedSinceUpdate += payload.length;
    if (this.connectionReceivedSinceUpdate >= this.limits.connectionWindowBytes / 2) {
      this.out.control(windowUpdateFrame(0, this.connectionReceivedSinceUpdate));
      this.connectionReceiveWindow += this.connectionReceivedSinceUpdate;
      this.connectionReceivedSinceUpdate = 0;
    }
    let body = payload;
    if (flags & FrameFlag.padded) {
      const padLength = payload[0];
      if (padLength === undefined || padLength >= payload.length) throw new ConnectionError(H2Error.protocolError, 'DATA padding longer than the frame');
      body = payload.subarray(1, payload.length - padLength);
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new ConnectionError(H2Error.protocolError, `DATA on idle stream ${streamId}`);
      return; // A stream we closed or reset: the client may not know yet.
    }
    if (stream.remoteEnded) return this.refuse(streamId, H2Error.streamClosed);
    stream.receiveWindow -= payload.length;
    if (stream.receiveWindow < 0) return this.refuse(streamId, H2Error.flowControlError);
    stream.receivedSinceUpdate += payload.length;
    const endStream = (flags & FrameFlag.endStream) !== 0;
    if (!endStream && stream.receivedSinceUpdate >= this.limits.streamWindowBytes / 2) {
      this.out.control(windowUpdateFrame(streamId, stream.receivedSinceUpdate));
      stream.receiveWindow += stream.receivedSinceUpdate;
      stream.receivedSinceUpdate = 0;
    }
    if (body.length > 0) stream.listener.onData(body);
    if (endStream && !stream.closed) this.remoteEnd(stream);
  }

  private rstStreamFrame(streamId: number, payload: Uint8Array): void {
    if (streamId === 0 || payload.length !== 4) throw new ConnectionError(payload.length !== 4 ? H2Error.frameSizeError : H2Error.protocolError, 'a malformed RST_STREAM frame');
    if (streamId > this.lastStreamId) throw new ConnectionError(H2Error.protocolError, `RST_STREAM on idle stream ${streamId}`);
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    const code = ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
    stream.localEnded = true;
    stream.discard();
    this.closeStream(stream);
    stream.listener.onReset(code);
  }

  private windowUpdateFrame(streamId: number, payload: Uint8Array): void {
    if (payload.length !== 4) throw new ConnectionError(H2Error.frameSizeError, 'a WINDOW_UPDATE frame is not 4 bytes');
    const increment = ((payload[0]! & 0x7f) << 24 | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(H2Error.protocolError, 'a WINDOW_UPDATE of 0 on the connection');
      this.out.growConnectionWindow(increment);
      if (this.out.connectionWindow > maxWindowBytes) throw new ConnectionError(H2Error.flowControlError, 'the connection window overflows');
      return this.out.resume();
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new ConnectionError(H2Error.protocolError, `WINDOW_UPDATE on idle stream ${streamId}`);
      return;
    }
    if (increment === 0) return this.refuse(streamId, H2Error.protocolError);
    stream.sendWindow += increment;
    if (stream.sendWindow > maxWindowBytes) return this.refuse(streamId, H2Error.flowControlError);
    this.out.flushStream(stream);
  }

  // ---- stream and connection lifecycle ----

  private remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded && stream.trailers === null && stream.queuedBytes === 0) this.closeStream(stream);
    stream.listener.onEnd();
  }

  /** After the stream's end is queued: a stream the client still sends on is reset once the end is out (gRPC servers do so). */
  private afterLocalEnd(stream: H2Stream): void {
    if (stream.closed || stream.trailers !== null || stream.queuedBytes > 0) return; // H2Outbound calls back when they are written.
    if (!stream.remoteEnded) this.out.control(rstStreamFrame(stream.id, H2Error.noError));
    this.closeStream(stream);
  }

  /** A stream whose trailers the outbound queue just wrote. */
  readonly streamEndWritten = (stream: H2Stream): void => {
    if (stream.closed) return;
    if (!stream.remoteEnded) this.out.control(rstStreamFrame(stream.id, H2Error.noError));
    this.closeStream(stream);
  };

  private closeStream(stream: H2Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream.id);
    this.out.forget(stream);
  }

  /** A stream error (RFC 9113 section 5.4.2): this stream is reset, the connection carries on. */
  private refuse(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    this.out.control(rstStreamFrame(streamId, code));
    if (stream === undefined) return;
    stream.localEnded = true;
    stream.discard();
    this.closeStream(stream);
    stream.listener.onReset(code);
  }

  /** A connection error (RFC 9113 section 5.4.1): GOAWAY with the reason, and the connection ends. */
  private fail(code: number, reason: string): void {
    if (this.dead) return;
    this.out.control(goawayFrame(this.lastStreamId, code, reason));
    this.teardown(reason);
  }

  private teardown(reason: string): void {
    this.dead = true;
    this.out.close();
    const open = [...this.streams.values()];
    this.streams.clear();
    for (const stream of open) {
      stream.closed = true;
      stream.localEnded = true;
      stream.discard();
      stream.listener.onReset(H2Error.cancel);
    }
    this.app.closed(reason);
  }
}
