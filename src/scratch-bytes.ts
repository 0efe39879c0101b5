// Bytes that live only until they are written out: a frame, a batch of
// frames, an encoded response. Small ones come from Node's shared buffer pool
// (no allocation of their own, nothing for the collector to sweep), which on
// a busy member removes a malloc, a free and an ArrayBuffer per request.
//
// They are not zeroed: the caller writes every byte it hands on. Never keep
// them: a pooled slice holds its whole pool slab alive, so anything stored
// (a log entry, a value) gets its own allocation instead.

export function scratchBytes(length: number): Uint8Array {
  return Buffer.allocUnsafe(length);
}
