// What an HTTP/2 server session writes, under the peer's flow control
// (RFC 9113 section 5.2): DATA goes out while both the stream's and the
// connection's send windows allow and the transport is not congested, in
// frames no larger than the peer's SETTINGS_MAX_FRAME_SIZE; the rest waits
// on the stream until a WINDOW_UPDATE or the transport's drain resumes it.
// Control frames (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY) are
// never held back.
//
// Header blocks are written as given, never indexed: the first block on the
// connection opens with a dynamic table size update to 0, so the client's
// decoder table stays empty whatever SETTINGS_HEADER_TABLE_SIZE it sets.

import { frameHeaderBytes, initialMaxFrameBytes } from './hpack-frames.js';
import { headerFramesBytes, initialWindowBytes, writeDataFrame, writeFrameHeader, writeHeaderFrames } from './h2-frames-out.js';
import type { H2Stream } from './h2-stream.js';
import { scratchBytes } from '../scratch-bytes.js';

/** Where a session's frames go: the socket, through a writer that batches what one turn of the event loop produced. */
export interface H2Sink {
  write(bytes: Uint8Array): void;
  /** True while the transport holds more than it wants; DATA then waits for sinkDrained(). */
  readonly congested: boolean;
  /** Ends the transport once what was written is out. */
  close(): void;
}

/** DATA bytes written to the sink in one go for one stream, at most; a big answer goes out in slices so others interleave. */
const maxBytesPerFlush = 256 * 1024;

const tableSizeUpdateToZero = 0x20;

export class H2Outbound {
  connectionWindow = initialWindowBytes;
  peerMaxFrameBytes = initialMaxFrameBytes;
  private readonly waiting = new Set<H2Stream>();
  private firstBlockWritten = false;
  private closed = false;

  constructor(private readonly sink: H2Sink, private readonly endWritten: (stream: H2Stream) => void) {}

  control(frame: Uint8Array): void {
    if (!this.closed) this.sink.write(frame);
  }

  growConnectionWindow(increment: number): void {
    this.connectionWindow += increment;
  }

  headers(stream: H2Stream, block: Uint8Array, endStream: boolean): void {
    if (this.closed) return;
    const out = scratchBytes(headerFramesBytes(block.length + 1, this.peerMaxFrameBytes));
    const end = writeHeaderFrames(out, 0, stream.id, this.firstBlock(block), endStream, this.peerMaxFrameBytes);
    this.sink.write(end === out.length ? out : out.subarray(0, end));
  }

  /** HEADERS, one DATA and trailing HEADERS in one write when the windows allow, which they nearly always do. */
  respond(stream: H2Stream, headers: Uint8Array, body: Uint8Array, trailers: Uint8Array): void {
    if (this.closed) return;
    const fits = stream.queuedBytes === 0 && body.length <= stream.sendWindow && body.length <= this.connectionWindow
      && body.length <= this.peerMaxFrameBytes && !this.sink.congested;
    if (!fits) {
      this.headers(stream, headers, false);
      this.data(stream, body);
      this.end(stream, trailers);
      return;
    }
    const head = this.firstBlock(headers);
    const out = scratchBytes(headerFramesBytes(head.length, this.peerMaxFrameBytes) + frameHeaderBytes + body.length + headerFramesBytes(trailers.length, this.peerMaxFrameBytes));
    let at = writeHeaderFrames(out, 0, stream.id, head, false, this.peerMaxFrameBytes);
    at = writeDataFrame(out, at, stream.id, body, false);
    at = writeHeaderFrames(out, at, stream.id, trailers, true, this.peerMaxFrameBytes);
    stream.sendWindow -= body.length;
    this.connectionWindow -= body.length;
    this.sink.write(at === out.length ? out : out.subarray(0, at));
  }

  data(stream: H2Stream, payload: Uint8Array): void {
    if (this.closed || payload.length === 0) return;
    stream.queued.push(payload);
    stream.queuedBytes += payload.length;
    this.flushStream(stream);
  }

  end(stream: H2Stream, block: Uint8Array): void {
    if (this.closed) return;
    stream.trailers = block;
    this.flushStream(stream);
  }

  /** Writes what the windows allow of the stream's queue, then its trailers once the queue is empty. */
  flushStream(stream: H2Stream): void {
    if (this.closed || stream.closed) return;
    const hadData = stream.queuedBytes > 0;
    while (stream.queuedBytes > 0) {
      const allowed = Math.min(stream.sendWindow, this.connectionWindow, stream.queuedBytes, maxBytesPerFlush);
      if (allowed <= 0 || this.sink.congested) {
        this.waiting.add(stream);
        return;
      }
      const frames = Math.ceil(allowed / this.peerMaxFrameBytes);
      const out = scratchBytes(frames * frameHeaderBytes + allowed);
      let at = 0;
      let left = allowed;
      while (left > 0) {
        const frameBytes = Math.min(left, this.peerMaxFrameBytes);
        writeFrameHeader(out, at, frameBytes, 0x0, 0, stream.id);
        at += frameHeaderBytes;
        let filled = 0;
        while (filled < frameBytes) {
          const piece = stream.take(frameBytes - filled);
          out.set(piece, at + filled);
          filled += piece.length;
        }
        at += frameBytes;
        left -= frameBytes;
      }
      stream.sendWindow -= allowed;
      this.connectionWindow -= allowed;
      this.sink.write(out);
    }
    this.waiting.delete(stream);
    if (stream.trailers !== null) {
      const block = stream.trailers;
      stream.trailers = null;
      const out = scratchBytes(headerFramesBytes(block.length + 1, this.peerMaxFrameBytes));
      const end = writeHeaderFrames(out, 0, stream.id, this.firstBlock(block), true, this.peerMaxFrameBytes);
      this.sink.write(end === out.length ? out : out.subarray(0, end));
      this.endWritten(stream);
    } else if (hadData) {
      stream.listener.onDrained();
    }
  }

  /** Windows opened or the transport drained: every stream that waited tries again. */
  resume(): void {
    if (this.waiting.size === 0) return;
    const streams = [...this.waiting];
    this.waiting.clear();
    for (const stream of streams) this.flushStream(stream);
  }

  forget(stream: H2Stream): void {
    this.waiting.delete(stream);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting.clear();
    this.sink.close();
  }

  private firstBlock(block: Uint8Array): Uint8Array {
    if (this.firstBlockWritten) return block;
    this.firstBlockWritten = true;
    const prefixed = new Uint8Array(block.length + 1);
    prefixed[0] = tableSizeUpdateToZero;
    prefixed.set(block, 1);
    return prefixed;
  }
}
