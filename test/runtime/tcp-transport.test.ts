import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId, type NodeId } from '../../src/ids.js';
import { TcpTransport, type PeerAddress } from '../../src/runtime/node/tcp-transport.js';
import type { Codec } from '../../src/runtime/transport.js';

const jsonCodec: Codec<{ count: number; city: string }> = {
  encode: (m) => new TextEncoder().encode(JSON.stringify(m)),
  decode: (b) => JSON.parse(new TextDecoder().decode(b)),
};

async function pair() {
  const jupiter = nodeId('jupiter');
  const saturn = nodeId('saturn');
  const peers = new Map<NodeId, PeerAddress>();
  const a = new TcpTransport({ self: jupiter, listen: { host: '127.0.0.1', port: 0 }, peers, codec: jsonCodec });
  const b = new TcpTransport({ self: saturn, listen: { host: '127.0.0.1', port: 0 }, peers, codec: jsonCodec });
  await a.start();
  await b.start();
  peers.set(jupiter, { host: '127.0.0.1', port: a.boundPort() });
  peers.set(saturn, { host: '127.0.0.1', port: b.boundPort() });
  // Links are created from the peer map at construction; rebuild now that ports are known.
  a.close();
  b.close();
  const a2 = new TcpTransport({ self: jupiter, listen: { host: '127.0.0.1', port: peers.get(jupiter)!.port }, peers, codec: jsonCodec });
  const b2 = new TcpTransport({ self: saturn, listen: { host: '127.0.0.1', port: peers.get(saturn)!.port }, peers, codec: jsonCodec });
  await a2.start();
  await b2.start();
  return { jupiter, saturn, a: a2, b: b2 };
}

test('jupiter sends widget counts to saturn over TCP, in order', async () => {
  const { jupiter, saturn, a, b } = await pair();
  try {
    const received: Array<[NodeId, { count: number; city: string }]> = [];
    const done = new Promise<void>((resolve) => {
      b.onReceive((from, message) => {
        received.push([from, message]);
        if (received.length === 100) resolve();
      });
    });
    // The first sends start the connection and are dropped until it is up: retry as Raft would.
    const cities = ['boston', 'philadelphia', 'london', 'pune'];
    let sent = 0;
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) {
      a.send(saturn, { count: -1, city: 'probe' });
      await new Promise((r) => setTimeout(r, 10));
    }
    received.length = 0;
    for (; sent < 100; sent++) a.send(saturn, { count: sent, city: cities[sent % 4]! });
    await done;
    assert.deepEqual(received.map(([from]) => from), Array(100).fill(jupiter));
    assert.deepEqual(received.map(([, m]) => m.count), Array.from({ length: 100 }, (_, i) => i));
  } finally {
    a.close();
    b.close();
  }
});

test('a second server on a taken peer port is refused with the address named', async () => {
  const { a, b, saturn } = await pair();
  try {
    const port = b.boundPort();
    const clash = new TcpTransport({ self: saturn, listen: { host: '127.0.0.1', port }, peers: new Map(), codec: jsonCodec });
    await assert.rejects(clash.start(), new RegExp(`127.0.0.1:${port} is already in use`));
  } finally {
    a.close();
    b.close();
  }
});
