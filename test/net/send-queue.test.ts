import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder } from '../../src/net/frame.js';
import { SendQueue } from '../../src/net/send-queue.js';
import { FrameKind, encodePing } from '../../src/net/wire.js';

function drainAll(queue: SendQueue): Uint8Array[] {
  const writes: Uint8Array[] = [];
  queue.drain((batch, onFlushed) => {
    writes.push(batch);
    onFlushed();
  });
  return writes;
}

test('a turn of messages leaves in writes of at most maxBatchBytes, every frame whole and in order', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 60 }), fc.integer({ min: 16, max: 4096 }), (payloads, maxBatchBytes) => {
      const queue = new SendQueue({ maxQueuedBytesPerPeer: 1 << 30, maxQueuedMessagesPerPeer: 1 << 20, maxBatchBytes });
      for (const payload of payloads) queue.push(payload, true);
      const writes = drainAll(queue);
      for (const write of writes) assert.ok(write.length <= maxBatchBytes || new FrameDecoder().push(write).length === 1, 'only a lone frame may exceed the batch');
      const decoder = new FrameDecoder();
      const frames = writes.flatMap((write) => decoder.push(write));
      assert.deepEqual(frames.map((f) => f[0]), payloads.map(() => FrameKind.message));
      assert.deepEqual(frames.map((f) => Buffer.from(f.subarray(1))), payloads.map((p) => Buffer.from(p)));
      assert.ok(queue.isEmpty);
    }),
  );
});

test('the queue refuses what would pass its byte or message bound, counting bytes the connection still holds', () => {
  const queue = new SendQueue({ maxQueuedBytesPerPeer: 100, maxQueuedMessagesPerPeer: 3, maxBatchBytes: 1000 });
  assert.equal(queue.hasRoom(100, 1, 0), true);
  assert.equal(queue.hasRoom(101, 1, 0), false);
  assert.equal(queue.hasRoom(60, 1, 50), false, 'bytes still in the connection count');
  for (let i = 0; i < 3; i++) queue.push(new Uint8Array(5), true);
  assert.equal(queue.hasRoom(10, 1, 0), false, 'three messages are the limit');
  assert.equal(queue.hasRoom(13, 0, 0), true, 'a control frame is no message');
  queue.push(encodePing('ping', 1), false);
  assert.equal(queue.queuedBytes(0), 3 * 10 + 13);
  let flushed: (() => void) | null = null;
  queue.drain((_, onFlushed) => { flushed = onFlushed; });
  assert.equal(queue.queuedMessages(), 3, 'written but not flushed still counts');
  flushed!();
  assert.equal(queue.queuedMessages(), 0);
});

test('completions of writes to a closed connection do not disturb the count for the next one', () => {
  const queue = new SendQueue({ maxQueuedBytesPerPeer: 1000, maxQueuedMessagesPerPeer: 10, maxBatchBytes: 1000 });
  queue.push(new Uint8Array(5), true);
  let late: (() => void) | null = null;
  queue.drain((_, onFlushed) => { late = onFlushed; });
  queue.forgetInFlight();
  queue.push(new Uint8Array(5), true);
  queue.drain(() => {});
  late!();
  assert.equal(queue.queuedMessages(), 1);
  assert.equal(queue.clear(), 0);
});
