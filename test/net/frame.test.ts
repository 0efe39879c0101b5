import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLarge, encodeFrame } from '../../src/net/frame.js';

test('frames survive any split of the byte stream into chunks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
      (payloads, chunkSizes) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const decoder = new FrameDecoder();
        const received: Uint8Array[] = [];
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = chunkSizes[i % chunkSizes.length]!;
          received.push(...decoder.push(stream.subarray(offset, offset + size)));
          offset += size;
        }
        assert.deepEqual(received.map((r) => Buffer.from(r)), payloads.map((p) => Buffer.from(p)));
      },
    ),
  );
});

test('a frame header announcing more than the limit is refused before it is buffered', () => {
  const decoder = new FrameDecoder(1024);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 1025, false);
  assert.throws(() => decoder.push(header), FrameTooLarge);
  assert.throws(() => encodeFrame(new Uint8Array(2048), 1024), /exceeds the limit of 1024 bytes/);
});
