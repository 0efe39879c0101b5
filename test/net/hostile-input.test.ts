import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameKind } from '../../src/net/wire.js';
import { allConnected, jupiter, neptune, ourCluster, peerStats, saturn, startMember, waitFor, type Member } from './cast.js';
import { control, deadAddress, helloFrame, rawDial, type RawSocket } from './raw-peer.js';

const maxFrameBytes = 64 * 1024;

/** Saturn with a working channel to neptune, and jupiter in its peer set at an address where nobody answers. */
async function saturnAndNeptune(limits: Record<string, number> = {}): Promise<{ s: Member; n: Member }> {
  const n = await startMember(neptune, { limits: { maxFrameBytes, ...limits } });
  const s = await startMember(saturn, { limits: { maxFrameBytes, ...limits }, peers: new Map([[jupiter, await deadAddress()], [neptune, n.address]]) });
  n.transport.addPeer(saturn, s.address);
  await allConnected([n]);
  return { s, n };
}

async function stillTalking(s: Member, n: Member, count: number): Promise<void> {
  n.transport.send(saturn, { city: 'pune', count });
  await waitFor(`count ${count} from neptune`, () => s.received.some((r) => r.message.count === count));
}

/** A fake jupiter dials saturn, completes the handshake and returns the open socket. */
async function fakeJupiter(s: Member): Promise<RawSocket> {
  const raw = await rawDial(s.address);
  raw.socket.write(helloFrame(ourCluster, jupiter, saturn));
  await waitFor('saturn\'s welcome', () => raw.frames.length >= 1);
  assert.equal(control(raw.frames[0]!).kind, 'welcome');
  return raw;
}

test('a peer that sends a frame over the limit loses its channel, saturn carries on, and the peer can reconnect', async () => {
  const { s, n } = await saturnAndNeptune();
  try {
    const raw = await fakeJupiter(s);
    await waitFor('saturn\'s channel to the fake jupiter', () => peerStats(s, jupiter).connected);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, maxFrameBytes + 2, false);
    raw.socket.write(header);
    await raw.closed;
    await waitFor('the log line', () => s.logger.matching(/^channel to jupiter lost/).length === 1);
    assert.match(s.logger.matching(/^channel to jupiter lost/)[0]!.message, new RegExp(`frame of ${maxFrameBytes + 2} bytes exceeds the limit of ${maxFrameBytes} bytes$`));
    await stillTalking(s, n, 1);

    const again = await fakeJupiter(s);
    const message = new TextEncoder().encode(JSON.stringify({ city: 'boston', count: 2 }));
    const frame = new Uint8Array(5 + message.length);
    new DataView(frame.buffer).setUint32(0, 1 + message.length, false);
    frame[4] = FrameKind.message;
    frame.set(message, 5);
    again.socket.write(frame);
    await waitFor('the count over the new channel', () => s.received.some((r) => r.from === jupiter && r.message.count === 2));
    again.socket.destroy();
  } finally {
    s.transport.close();
    n.transport.close();
  }
});

test('saturn drops a message over the frame limit before sending it, and says so', async () => {
  const { s, n } = await saturnAndNeptune();
  try {
    await waitFor('saturn\'s channel to neptune', () => peerStats(s, neptune).connected);
    s.transport.send(neptune, { city: 'x'.repeat(maxFrameBytes), count: 1 });
    s.transport.send(neptune, { city: 'london', count: 2 });
    await waitFor('the small count', () => n.received.length === 1);
    assert.equal(n.received[0]!.message.count, 2);
    assert.equal(peerStats(s, neptune).dropped.tooLarge, 1);
    assert.match(s.logger.matching(/^dropping a \d+-byte message to neptune/)[0]!.message, new RegExp(`over the frame limit of ${maxFrameBytes} bytes$`));
  } finally {
    s.transport.close();
    n.transport.close();
  }
});

test('strangers sending an HTTP request, junk, or half a frame are shown the door and saturn carries on', async () => {
  const { s, n } = await saturnAndNeptune({ handshakeTimeoutMs: 200 });
  try {
    const strangers: Array<[string, Uint8Array]> = [
      ['an HTTP request', new TextEncoder().encode('GET /metrics HTTP/1.1\r\nHost: saturn\r\n\r\n')],
      ['a ping before any hello', new Uint8Array([0, 0, 0, 9, FrameKind.ping, 0, 0, 0, 0, 0, 0, 0, 0])],
      ['a hello without the magic', new Uint8Array([0, 0, 0, 20, FrameKind.hello, ...new Array<number>(19).fill(1)])],
      ['a frame header and then silence', new Uint8Array([0, 0, 0, 100, 1, 2, 3])],
      ['8 KiB of a frame too long for a handshake', new Uint8Array([0, 0, 0x80, 0, ...new Array<number>(8192).fill(0x41)])],
    ];
    for (const [what, bytes] of strangers) {
      const raw = await rawDial(s.address);
      raw.socket.write(bytes);
      await raw.closed;
      assert.equal(raw.frames.length, 0, `${what}: saturn told the stranger nothing`);
    }
    const refused = s.transport.statistics().inboundRefused;
    assert.deepEqual(refused, { malformed: 4, timeout: 1 });
    assert.ok(s.logger.matching(/^refusing 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: not a Trellis peer \(a hello without the Trellis magic\)$/).length === 1);

    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), async (junk) => {
        const raw = await rawDial(s.address);
        raw.socket.write(junk);
        await raw.closed;
      }),
      { numRuns: 40 },
    );
    await stillTalking(s, n, 3);
    assert.equal(s.received.filter((r) => r.from !== neptune).length, 0);
  } finally {
    s.transport.close();
    n.transport.close();
  }
});
