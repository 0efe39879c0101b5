// The frames an HTTP/2 server writes (RFC 9113 section 6), each built into
// one buffer with its 9-byte header. Pure byte manipulation, shared by the
// server session (h2-session.ts) and its outbound queue (h2-outbound.ts).

import { FrameFlag, FrameType, frameHeaderBytes, writeFrameHeader } from './hpack-frames.js';

export { writeFrameHeader };

/** HTTP/2 error codes (RFC 9113 section 7) the server sends or receives. */
export const H2Error = {
  noError: 0x0,
  protocolError: 0x1,
  internalError: 0x2,
  flowControlError: 0x3,
  streamClosed: 0x5,
  frameSizeError: 0x6,
  refusedStream: 0x7,
  cancel: 0x8,
  compressionError: 0x9,
  enhanceYourCalm: 0xb,
} as const;

/** SETTINGS identifiers (RFC 9113 section 6.5.2). */
export const H2Setting = {
  headerTableSize: 0x1,
  enablePush: 0x2,
  maxConcurrentStreams: 0x3,
  initialWindowSize: 0x4,
  maxFrameSize: 0x5,
  maxHeaderListSize: 0x6,
} as const;

/** The largest flow-control window there can be (2^31 - 1). */
export const maxWindowBytes = 0x7fff_ffff;
/** Every window starts here until SETTINGS or WINDOW_UPDATE say otherwise. */
export const initialWindowBytes = 65_535;

function write32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = (value >>> 24) & 0xff;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

export function settingsFrame(settings: readonly (readonly [id: number, value: number])[]): Uint8Array {
  const frame = new Uint8Array(frameHeaderBytes + 6 * settings.length);
  writeFrameHeader(frame, 0, 6 * settings.length, FrameType.settings, 0, 0);
  settings.forEach(([id, value], i) => {
    const at = frameHeaderBytes + 6 * i;
    frame[at] = id >>> 8;
    frame[at + 1] = id & 0xff;
    write32(frame, at + 2, value);
  });
  return frame;
}

export const settingsAckFrame: Uint8Array = (() => {
  const frame = new Uint8Array(frameHeaderBytes);
  writeFrameHeader(frame, 0, 0, FrameType.settings, FrameFlag.ack, 0);
  return frame;
})();

export function pingAckFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(frameHeaderBytes + 8);
  writeFrameHeader(frame, 0, 8, FrameType.ping, FrameFlag.ack, 0);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  const frame = new Uint8Array(frameHeaderBytes + 4);
  writeFrameHeader(frame, 0, 4, FrameType.windowUpdate, 0, streamId);
  write32(frame, frameHeaderBytes, increment & maxWindowBytes);
  return frame;
}

export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  const frame = new Uint8Array(frameHeaderBytes + 4);
  writeFrameHeader(frame, 0, 4, FrameType.rstStream, 0, streamId);
  write32(frame, frameHeaderBytes, code);
  return frame;
}

export function goawayFrame(lastStreamId: number, code: number, debug: string): Uint8Array {
  const text = Buffer.from(debug.slice(0, 256), 'utf8');
  const frame = new Uint8Array(frameHeaderBytes + 8 + text.length);
  writeFrameHeader(frame, 0, 8 + text.length, FrameType.goaway, 0, 0);
  write32(frame, frameHeaderBytes, lastStreamId & maxWindowBytes);
  write32(frame, frameHeaderBytes + 4, code);
  frame.set(text, frameHeaderBytes + 8);
  return frame;
}

/** Size of a header block sent as HEADERS plus CONTINUATIONs of at most maxFrameBytes each. */
export function headerFramesBytes(blockBytes: number, maxFrameBytes: number): number {
  const frames = Math.max(1, Math.ceil(blockBytes / maxFrameBytes));
  return frames * frameHeaderBytes + blockBytes;
}

/** Writes a header block as HEADERS (+ CONTINUATION) frames at `offset`; returns the offset after them. */
export function writeHeaderFrames(target: Uint8Array, offset: number, streamId: number, block: Uint8Array, endStream: boolean, maxFrameBytes: number): number {
  let at = offset;
  let start = 0;
  let first = true;
  do {
    const end = Math.min(start + maxFrameBytes, block.length);
    const last = end === block.length;
    const flags = (last ? FrameFlag.endHeaders : 0) | (first && endStream ? FrameFlag.endStream : 0);
    writeFrameHeader(target, at, end - start, first ? FrameType.headers : FrameType.continuation, flags, streamId);
    target.set(block.subarray(start, end), at + frameHeaderBytes);
    at += frameHeaderBytes + end - start;
    start = end;
    first = false;
  } while (start < block.length);
  return at;
}

/** Writes one DATA frame carrying `payload` at `offset`; returns the offset after it. */
export function writeDataFrame(target: Uint8Array, offset: number, streamId: number, payload: Uint8Array, endStream: boolean): number {
  writeFrameHeader(target, offset, payload.length, FrameType.data, endStream ? FrameFlag.endStream : 0, streamId);
  target.set(payload, offset + frameHeaderBytes);
  return offset + frameHeaderBytes + payload.length;
}
