// Length-prefixed frames: the unit a Single-Socket Channel carries. Each frame
// is a 4-byte big-endian payload length followed by the payload. The decoder
// is fed whatever chunks the socket delivers and yields whole payloads; it
// refuses a frame longer than maxFrameBytes before buffering it, so a broken
// or hostile peer cannot make us allocate without bound.

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameTooLarge extends Error {
  override readonly name = 'FrameTooLarge';
  constructor(readonly frameBytes: number, readonly maxFrameBytes: number) {
    super(`frame of ${frameBytes} bytes exceeds the limit of ${maxFrameBytes} bytes`);
  }
}

export function encodeFrame(payload: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  if (payload.length > maxFrameBytes) throw new FrameTooLarge(payload.length, maxFrameBytes);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length, false);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private bufferedBytes = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Adds bytes from the wire and returns every frame payload now complete, in order. Throws FrameTooLarge. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const payloads: Uint8Array[] = [];
    while (this.bufferedBytes >= FRAME_HEADER_BYTES) {
      const header = this.peek(FRAME_HEADER_BYTES);
      const payloadBytes = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES).getUint32(0, false);
      if (payloadBytes > this.maxFrameBytes) throw new FrameTooLarge(payloadBytes, this.maxFrameBytes);
      if (this.bufferedBytes < FRAME_HEADER_BYTES + payloadBytes) break;
      this.consume(FRAME_HEADER_BYTES);
      payloads.push(this.consume(payloadBytes));
    }
    return payloads;
  }

  private peek(length: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= length) return first.subarray(0, length);
    return this.gather(length, false);
  }

  private consume(length: number): Uint8Array {
    return this.gather(length, true);
  }

  private gather(length: number, remove: boolean): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    if (remove && first.length >= length) {
      const out = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
      this.bufferedBytes -= length;
      return out;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    let chunkIndex = 0;
    while (filled < length) {
      const chunk = this.chunks[chunkIndex]!;
      const take = Math.min(chunk.length, length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (remove) {
        if (take === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(take);
      } else {
        chunkIndex++;
      }
    }
    if (remove) this.bufferedBytes -= length;
    return out;
  }
}
