import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConfigChange, encodeConfigChange } from '../../src/consensus/config.js';
import { decodeRaftMessage, encodeRaftMessage } from '../../src/consensus/message-codec.js';
import { nodeId, term } from '../../src/ids.js';
import { RaftNetwork, jupiter, neptune, saturn } from './raft-network.js';

const cast = [jupiter, saturn, neptune];
const bytes = (text: string) => new TextEncoder().encode(text);

test('bob\'s write sent to a follower is forwarded to the leader, committed once and applied everywhere', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.stabilize();
  assert.equal(world.node(saturn).core.forward(bytes('boston=12')), null);
  assert.equal(world.node(saturn).core.forward(bytes('pune=4')), null);
  world.process(saturn);
  const forwarded = world.inFlight.filter((m) => m.message.type === 'propose');
  assert.equal(forwarded.length, 1, 'both proposals travel in one message');
  assert.equal(forwarded[0]!.to, jupiter);
  world.stabilize();
  for (const id of cast) assert.deepEqual(world.node(id).values(), ['boston=12', 'pune=4'], `${id} applied both once`);
});

test('a follower that knows no leader refuses to forward, and the leader itself refuses too', () => {
  const world = new RaftNetwork({ nodes: cast });
  assert.deepEqual(world.node(saturn).core.forward(bytes('london=1')), { reason: 'not-leader', leader: null });
  world.elect(jupiter);
  world.stabilize();
  assert.deepEqual(world.node(jupiter).core.forward(bytes('london=1')), { reason: 'not-leader', leader: jupiter });
});

test('a forwarded proposal that reaches a deposed leader is dropped, not appended', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.stabilize();
  world.node(saturn).core.forward(bytes('philadelphia=7'));
  world.process(saturn);
  // jupiter loses leadership to neptune before the forwarded message arrives.
  const held = world.inFlight.filter((m) => m.message.type === 'propose');
  world.discardWhere((m) => m.message.type === 'propose');
  world.isolate(jupiter);
  for (let i = 0; i < 100 && !world.leaders().some((id) => id !== jupiter); i++) world.run(1);
  assert.ok(world.leaders().some((id) => id !== jupiter), 'saturn or neptune took over');
  world.heal();
  world.heartbeat(2);
  assert.equal(world.node(jupiter).status().role, 'follower');
  for (const message of held) world.deliver(message);
  world.stabilize();
  for (const id of cast) assert.deepEqual(world.node(id).values(), [], `${id} never applied the stale forward`);
});

test('a propose message survives the wire codec, and garbage is refused', () => {
  const message = { type: 'propose' as const, term: term(4), data: [bytes('boston=1'), new Uint8Array(0), bytes('pune=2')] };
  assert.deepEqual(decodeRaftMessage(encodeRaftMessage(message)), message);
  const encoded = encodeRaftMessage(message);
  assert.throws(() => decodeRaftMessage(encoded.subarray(0, encoded.length - 1)), /malformed raft message/);
});

test('a config change carries its context through the log entry encoding', () => {
  const context = bytes('{"name":"saturn","peerUrls":["http://127.0.0.1:2380"]}');
  const change = { type: 'add-learner' as const, node: nodeId('8e9e05c52164694d'), context };
  assert.deepEqual(decodeConfigChange(encodeConfigChange(change)), change);
  const plain = { type: 'remove' as const, node: nodeId('saturn') };
  assert.deepEqual(decodeConfigChange(encodeConfigChange(plain)), plain);
  assert.throws(() => decodeConfigChange(new Uint8Array([0x80, 0, 9, 1])), /malformed config change/);
});
