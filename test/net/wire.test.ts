import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clusterId, nodeId } from '../../src/ids.js';
import { checkHello, checkWelcome, ownHandshake, type LocalIdentity } from '../../src/net/handshake.js';
import {
  MalformedPeerFrame, PEER_PROTOCOL_VERSION, checkMemberId, decodeControlFrame, encodeHandshake, encodePing, encodeRefuse, type Handshake,
} from '../../src/net/wire.js';
import { jupiter, neptune, otherCluster, ourCluster, saturn } from './cast.js';

test('a hello carries the cluster id exactly, up to 2^64 - 1, and member ids in any script', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.string({ minLength: 1, maxLength: 60 }), fc.string({ minLength: 1, maxLength: 60 }), (cluster, from, to) => {
      const hello: Handshake = { protocolVersion: PEER_PROTOCOL_VERSION, clusterId: clusterId(cluster), from: nodeId(from), to: nodeId(to) };
      for (const kind of ['hello', 'welcome'] as const) {
        assert.deepEqual(decodeControlFrame(encodeHandshake(kind, hello)), { kind, handshake: hello });
      }
    }),
  );
  const big = { protocolVersion: 1, clusterId: clusterId(0xffff_ffff_ffff_fffen), from: nodeId('木星'), to: saturn };
  assert.equal((decodeControlFrame(encodeHandshake('hello', big)) as { handshake: Handshake }).handshake.clusterId, 0xffff_ffff_ffff_fffen);
});

test('a member id a handshake cannot carry is refused up front, naming it', () => {
  assert.throws(() => checkMemberId(nodeId('')), /member id "" must be 1 to 255 UTF-8 bytes/);
  assert.throws(() => checkMemberId(nodeId('ж'.repeat(128))), /must be 1 to 255 UTF-8 bytes/);
  checkMemberId(nodeId('j'.repeat(255)));
});

test('pings, pongs and refusals round-trip', () => {
  assert.deepEqual(decodeControlFrame(encodePing('ping', 1234.5)), { kind: 'ping', sentAtMs: 1234.5 });
  assert.deepEqual(decodeControlFrame(encodePing('pong', 7)), { kind: 'pong', sentAtMs: 7 });
  assert.deepEqual(decodeControlFrame(encodeRefuse('removed', 'neptune was removed')), { kind: 'refuse', reason: 'removed', text: 'neptune was removed' });
});

test('any bytes either decode or fail with MalformedPeerFrame, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeControlFrame(bytes);
      } catch (error) {
        assert.ok(error instanceof MalformedPeerFrame, String(error));
      }
    }),
    { numRuns: 2000 },
  );
  const hello = encodeHandshake('hello', { protocolVersion: 1, clusterId: ourCluster, from: jupiter, to: saturn });
  for (let cut = 0; cut < hello.length; cut++) assert.throws(() => decodeControlFrame(hello.subarray(0, cut)), MalformedPeerFrame);
  assert.throws(() => decodeControlFrame(new Uint8Array([...hello, 0])), /length does not match/);
});

const jupiterKnows = (peers: string[], removed: string[] = []): LocalIdentity => ({
  self: jupiter,
  clusterId: ourCluster,
  isPeer: (id) => peers.includes(id),
  wasRemoved: (id) => removed.includes(id),
});

test('jupiter welcomes saturn and refuses every hello that is wrong, saying how', () => {
  const local = jupiterKnows(['saturn'], ['neptune']);
  const from = (id: string, patch: Partial<Handshake> = {}): Handshake => ({ ...ownHandshake({ ...local, self: nodeId(id) }, jupiter), ...patch });
  assert.equal(checkHello(from('saturn'), local), null);
  assert.deepEqual(checkHello(from('saturn', { clusterId: otherCluster }), local), {
    reason: 'cluster', text: "saturn belongs to cluster 7f3a0b1ec0de0002, not to jupiter's cluster 91c25e0d33aa0001",
  });
  assert.deepEqual(checkHello(from('saturn', { protocolVersion: 2 }), local), { reason: 'version', text: 'saturn speaks peer protocol version 2, jupiter speaks 1' });
  assert.deepEqual(checkHello(from('saturn', { to: neptune }), local), { reason: 'misdirected', text: 'saturn expected to reach neptune at this address but reached jupiter' });
  assert.deepEqual(checkHello(from('neptune'), local), { reason: 'removed', text: 'neptune was removed from cluster 91c25e0d33aa0001' });
  assert.deepEqual(checkHello(from('pluto'), local), { reason: 'unknown', text: 'pluto is not a member of cluster 91c25e0d33aa0001 as jupiter knows it' });
});

test('jupiter checks that the member answering is the one it dialled', () => {
  const local = jupiterKnows(['saturn', 'neptune']);
  const welcome = (id: string): Handshake => ({ protocolVersion: 1, clusterId: ourCluster, from: nodeId(id), to: jupiter });
  assert.equal(checkWelcome(welcome('saturn'), local, saturn), null);
  assert.deepEqual(checkWelcome(welcome('neptune'), local, saturn), { reason: 'misdirected', text: 'jupiter dialled saturn at this address but reached neptune' });
});
