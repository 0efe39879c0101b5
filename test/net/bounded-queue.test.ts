import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Codec } from '../../src/runtime/transport.js';
import { jupiter, nextTurn, ourCluster, peerStats, saturn, startMember, waitFor } from './cast.js';
import { NeverReadingPeer } from './raw-peer.js';

const bytesCodec: Codec<Uint8Array> = { encode: (m) => m, decode: (b) => b };

const cases = [
  { bound: 'bytes', messageBytes: 16 * 1024, limits: { maxQueuedBytesPerPeer: 1024 * 1024, maxQueuedMessagesPerPeer: 4096 } },
  { bound: 'messages', messageBytes: 4 * 1024, limits: { maxQueuedBytesPerPeer: 8 * 1024 * 1024, maxQueuedMessagesPerPeer: 64 } },
] as const;

for (const { bound, messageBytes, limits } of cases) {
  test(`saturn never reads: jupiter drops what exceeds its ${bound} bound instead of queueing 64 MiB`, async () => {
    const slowSaturn = await NeverReadingPeer.start(ourCluster, saturn);
    const j = await startMember<Uint8Array>(jupiter, { codec: bytesCodec, peers: new Map([[saturn, slowSaturn.address]]), limits });
    try {
      await waitFor('the channel to the slow saturn', () => peerStats(j, saturn).connected);
      const widgetReport = new Uint8Array(messageBytes).fill(7);
      const attempts = (64 * 1024 * 1024) / messageBytes;
      let maxQueuedBytes = 0;
      let maxQueuedMessages = 0;
      for (let sent = 0; sent < attempts;) {
        for (let i = 0; i < 32; i++, sent++) j.transport.send(saturn, widgetReport);
        await nextTurn();
        const stats = peerStats(j, saturn);
        maxQueuedBytes = Math.max(maxQueuedBytes, stats.queuedBytes);
        maxQueuedMessages = Math.max(maxQueuedMessages, stats.queuedMessages);
      }
      const stats = peerStats(j, saturn);
      assert.ok(maxQueuedBytes <= limits.maxQueuedBytesPerPeer, `queued at most ${maxQueuedBytes} bytes`);
      assert.ok(maxQueuedMessages <= limits.maxQueuedMessagesPerPeer, `queued at most ${maxQueuedMessages} messages`);
      // What the kernel's socket buffers absorb is a few MiB at most; the rest of the 64 MiB is dropped.
      assert.ok(stats.dropped.queueFull * messageBytes > 48 * 1024 * 1024, `dropped ${stats.dropped.queueFull} of ${attempts}`);
      assert.equal(stats.dropped.queueFull + stats.messagesSent, attempts, 'every message was either written or dropped and counted');
      assert.equal(stats.connected, true, 'a slow peer is not a dead one: the channel stays open');
      assert.equal(stats.reconnects, 0);
    } finally {
      j.transport.close();
      slowSaturn.close();
    }
  });
}
