// The peer proxy on real sockets: it must tell which member dialed from the
// first bytes each system sends (etcd's rafthttp header, Trellis's hello
// frame, encoded here by Trellis's own wire code so the two cannot drift
// apart), and apply each directed link's rule to the bytes going that way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { clusterId, nodeId } from '../../src/ids.js';
import { encodeFrame } from '../../src/net/frame.js';
import { PEER_PROTOCOL_VERSION, encodeHandshake } from '../../src/net/wire.js';
import { LinkTable, PeerProxy } from '../../src/chaos/peer-proxy.js';
import { identifyEtcdPeer, identifyTrellisPeer } from '../../src/chaos/system-spec.js';
import { SeededRandom } from '../../src/runtime/random.js';

test('etcd\'s X-Server-From header names the dialing member', () => {
  const head = Buffer.from('GET /raft/stream/msgappv2/8e9e05c52164694d HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Server-From: 91bc3c398fb3c146\r\nX-Raft-To: 8e9e05c52164694d\r\n\r\n');
  assert.deepEqual(identifyEtcdPeer(head), { kind: 'member', token: '91bc3c398fb3c146' });
  assert.deepEqual(identifyEtcdPeer(head.subarray(0, 30)), { kind: 'need-more' });
  assert.deepEqual(identifyEtcdPeer(Buffer.from('GET /version HTTP/1.1\r\nHost: x\r\n\r\n')), { kind: 'unknown' });
});

test('a Trellis hello frame names the dialing member', () => {
  const hello = encodeFrame(encodeHandshake('hello', { protocolVersion: PEER_PROTOCOL_VERSION, clusterId: clusterId(0x7f3an), from: nodeId('008e9e05c52164694d'), to: nodeId('0091bc3c398fb3c146') }));
  assert.deepEqual(identifyTrellisPeer(Buffer.from(hello)), { kind: 'member', token: '008e9e05c52164694d' });
  assert.deepEqual(identifyTrellisPeer(Buffer.from(hello).subarray(0, 10)), { kind: 'need-more' });
  assert.deepEqual(identifyTrellisPeer(Buffer.from(encodeFrame(new TextEncoder().encode('GET / HTTP/1.1')))), { kind: 'unknown' });
});

/** saturn's peer port: echoes what it receives, prefixed, so both directions can be observed. */
async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('data', (chunk) => socket.write(Buffer.concat([Buffer.from('echo:'), chunk]))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port };
}

function collector(socket: Socket): { text: () => string } {
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  return { text: () => received };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function setUp(links: LinkTable): Promise<{ proxy: PeerProxy; echo: Server; dial: () => Promise<Socket> }> {
  const echo = await startEcho();
  const proxy = new PeerProxy({
    destination: 'saturn', listenHost: '127.0.0.1', targetHost: '127.0.0.1', targetPort: echo.port, links,
    identify: identifyEtcdPeer, resolveMember: (token) => (token === 'aa' ? 'jupiter' : undefined), members: () => ['jupiter', 'saturn', 'neptune'], random: new SeededRandom(1),
  });
  const port = await proxy.start();
  const dial = async (): Promise<Socket> => {
    const socket = createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /raft HTTP/1.1\r\nX-Server-From: aa\r\n\r\n');
    return socket;
  };
  return { proxy, echo: echo.server, dial };
}

test('jupiter -> saturn cut one way: saturn hears nothing from jupiter, and the stream is reset at the heal', async () => {
  const links = new LinkTable();
  const { proxy, echo, dial } = await setUp(links);
  const socket = await dial();
  const seen = collector(socket);
  await sleep(50);
  assert.match(seen.text(), /^echo:POST \/raft/);
  links.set('jupiter', 'saturn', { kind: 'cut' });
  socket.write('append 1');
  await sleep(100);
  assert.doesNotMatch(seen.text(), /append 1/);
  assert.ok(proxy.stats.bytesCut >= 'append 1'.length);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  links.clear();
  proxy.resetTainted();
  await closed;
  await proxy.close();
  echo.close();
});

test('saturn -> jupiter cut: jupiter\'s bytes still reach saturn, saturn\'s answers are lost', async () => {
  const links = new LinkTable();
  links.set('saturn', 'jupiter', { kind: 'cut' });
  const { proxy, echo, dial } = await setUp(links);
  const socket = await dial();
  const seen = collector(socket);
  await sleep(100);
  assert.equal(seen.text(), '');
  assert.ok(proxy.stats.bytesCut > 0, 'the echo of the request head was cut on its way back');
  socket.destroy();
  await proxy.close();
  echo.close();
});

test('a delayed link delivers late but in order', async () => {
  const links = new LinkTable();
  links.set('jupiter', 'saturn', { kind: 'delay', delayMs: 150, jitterMs: 100 });
  const { proxy, echo, dial } = await setUp(links);
  const socket = await dial();
  const seen = collector(socket);
  await sleep(20);
  for (let i = 0; i < 5; i++) socket.write(`|${i}`);
  await sleep(30);
  assert.equal(seen.text(), '', 'nothing arrives before the delay');
  await sleep(400);
  const order = [...seen.text().matchAll(/\|(\d)/g)].map((m) => Number(m[1]));
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  socket.destroy();
  await proxy.close();
  echo.close();
});

test('a member nobody can name is cut only when its destination is cut off from everyone', () => {
  const links = new LinkTable();
  const members = ['jupiter', 'saturn', 'neptune'];
  links.set('jupiter', 'saturn', { kind: 'cut' });
  assert.equal(links.rule('?', 'saturn', members).kind, 'pass');
  links.set('neptune', 'saturn', { kind: 'cut' });
  assert.equal(links.rule('?', 'saturn', members).kind, 'cut');
  assert.equal(links.rule('saturn', '?', members).kind, 'pass');
});
