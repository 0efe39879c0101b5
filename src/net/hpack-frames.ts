// The parts of HTTP/2 framing (RFC 9113 section 4 and 6) that carry HPACK
// header blocks, plus what a front needs to open a connection: the client
// preface, SETTINGS and PING. Pure byte manipulation; HpackError for
// frames that break the rules.

import { HpackError } from './hpack-error.js';

/** The first 24 octets of every HTTP/2 connection from a client (RFC 9113 section 3.4). */
export const clientPreface: Uint8Array = Uint8Array.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', (c) => c.charCodeAt(0));

export const frameHeaderBytes = 9;

/** Every endpoint accepts frames this large; larger ones only after the peer's SETTINGS_MAX_FRAME_SIZE allows them. */
export const initialMaxFrameBytes = 16_384;
/** The largest SETTINGS_MAX_FRAME_SIZE there can be. */
export const largestMaxFrameBytes = 2 ** 24 - 1;

export const FrameType = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

export const FrameFlag = {
  endStream: 0x1,
  ack: 0x1,
  endHeaders: 0x4,
  padded: 0x8,
  priority: 0x20,
} as const;

export const Setting = {
  headerTableSize: 0x1,
  maxFrameSize: 0x5,
} as const;

export interface FrameHeader {
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
}

export function readFrameHeader(bytes: Uint8Array, offset: number): FrameHeader {
  return {
    length: (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!,
    type: bytes[offset + 3]!,
    flags: bytes[offset + 4]!,
    streamId: ((bytes[offset + 5]! & 0x7f) * 2 ** 24) + ((bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 8) | bytes[offset + 8]!),
  };
}

export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array): Uint8Array {
  if (payload.length > largestMaxFrameBytes) throw new RangeError(`a frame payload of ${payload.length} bytes does not fit HTTP/2's 24-bit length`);
  const frame = new Uint8Array(frameHeaderBytes + payload.length);
  writeFrameHeader(frame, 0, payload.length, type, flags, streamId);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

/** The 9-byte frame header (RFC 9113 section 4.1) at `offset`; the stream id's reserved bit is written clear. */
export function writeFrameHeader(target: Uint8Array, offset: number, length: number, type: number, flags: number, streamId: number): void {
  target[offset] = length >>> 16;
  target[offset + 1] = (length >>> 8) & 0xff;
  target[offset + 2] = length & 0xff;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target[offset + 5] = (streamId >>> 24) & 0x7f;
  target[offset + 6] = (streamId >>> 16) & 0xff;
  target[offset + 7] = (streamId >>> 8) & 0xff;
  target[offset + 8] = streamId & 0xff;
}

/** A HEADERS frame's payload taken apart: its fragment of the header block, and the priority fields if present. */
export interface HeadersPayload {
  readonly fragment: Uint8Array;
  /** The 5 octets of stream dependency and weight, when the PRIORITY flag is set. */
  readonly priority: Uint8Array | null;
}

export function parseHeadersPayload(payload: Uint8Array, flags: number): HeadersPayload {
  let start = 0;
  let padLength = 0;
  if (flags & FrameFlag.padded) {
    if (payload.length < 1) throw new HpackError('a PADDED HEADERS frame has no pad length');
    padLength = payload[0]!;
    start = 1;
  }
  let priority: Uint8Array | null = null;
  if (flags & FrameFlag.priority) {
    if (payload.length < start + 5) throw new HpackError('a HEADERS frame with the PRIORITY flag is too short for its priority fields');
    priority = payload.slice(start, start + 5);
    start += 5;
  }
  if (padLength > payload.length - start) {
    throw new HpackError(`a HEADERS frame's padding of ${padLength} bytes is longer than what follows its header fields`);
  }
  return { fragment: payload.subarray(start, payload.length - padLength), priority };
}

/**
 * A header block as a HEADERS frame followed by as many CONTINUATION frames
 * as it takes to keep every frame within maxFrameBytes. Padding is dropped:
 * it only hides lengths, and the block's length has changed anyway.
 */
export function encodeHeaderBlock(streamId: number, endStream: boolean, priority: Uint8Array | null, block: Uint8Array, maxFrameBytes: number): Uint8Array {
  const priorityBytes = priority === null ? 0 : priority.length;
  const firstFragmentBytes = Math.min(maxFrameBytes - priorityBytes, block.length);
  const continuations = Math.ceil((block.length - firstFragmentBytes) / maxFrameBytes);
  const out = new Uint8Array((1 + continuations) * frameHeaderBytes + priorityBytes + block.length);
  const flags = (endStream ? FrameFlag.endStream : 0) | (priority === null ? 0 : FrameFlag.priority) | (continuations === 0 ? FrameFlag.endHeaders : 0);
  writeFrameHeader(out, 0, priorityBytes + firstFragmentBytes, FrameType.headers, flags, streamId);
  let at = frameHeaderBytes;
  if (priority !== null) out.set(priority, at);
  at += priorityBytes;
  out.set(block.subarray(0, firstFragmentBytes), at);
  at += firstFragmentBytes;
  for (let offset = firstFragmentBytes; offset < block.length; offset += maxFrameBytes) {
    const end = Math.min(offset + maxFrameBytes, block.length);
    writeFrameHeader(out, at, end - offset, FrameType.continuation, end === block.length ? FrameFlag.endHeaders : 0, streamId);
    out.set(block.subarray(offset, end), at + frameHeaderBytes);
    at += frameHeaderBytes + end - offset;
  }
  return out;
}

export function parseSettings(payload: Uint8Array): [id: number, value: number][] {
  if (payload.length % 6 !== 0) throw new HpackError(`a SETTINGS frame of ${payload.length} bytes is not a whole number of 6-byte settings`);
  const settings: [number, number][] = [];
  for (let i = 0; i < payload.length; i += 6) {
    const id = (payload[i]! << 8) | payload[i + 1]!;
    const value = payload[i + 2]! * 2 ** 24 + ((payload[i + 3]! << 16) | (payload[i + 4]! << 8) | payload[i + 5]!);
    settings.push([id, value]);
  }
  return settings;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
