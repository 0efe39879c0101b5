import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNetwork, jupiter, neptune, placed, saturn } from './raft-network.js';

const cast = [jupiter, saturn, neptune];

function farBehind(options: { snapshotChunkBytes: number }) {
  const world = new RaftNetwork({ nodes: cast, raft: { snapshotChunkBytes: options.snapshotChunkBytes } });
  world.elect(jupiter);
  world.isolate(neptune);
  for (let i = 0; i < 30; i++) placed(world.propose(jupiter, `london=${i}`));
  world.stabilize();
  const snapshot = world.node(jupiter).takeSnapshot();
  return { world, snapshot };
}

test('snapshotTaken releases the log up to the snapshot and keeps its term for the consistency check', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  const status = world.node(jupiter).status();
  assert.equal(status.firstIndex, snapshot.meta.index + 1);
  assert.equal(snapshot.meta.index, status.appliedIndex);
  assert.equal(snapshot.meta.term, 2);
  assert.deepEqual([...snapshot.meta.config.voters].sort(), [jupiter, neptune, saturn]);
  // saturn is exactly at the snapshot index: the next append's previous entry is the released one, checked by its kept term.
  placed(world.propose(jupiter, 'london=next'));
  world.stabilize();
  assert.equal(world.node(saturn).values().at(-1), 'london=next');
});

test('a follower behind the leader\'s first index receives the snapshot in bounded chunks and catches up', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  world.heal();
  world.delivered = [];
  world.heartbeat(2);
  const chunks = world.delivered.filter((m) => m.to === neptune && m.message.type === 'snapshot');
  assert.ok(snapshot.data.byteLength > 64 * 4, 'the snapshot needs several chunks');
  assert.equal(chunks.length, Math.ceil(snapshot.data.byteLength / 64));
  for (const m of chunks) assert.ok(m.message.type === 'snapshot' && m.message.data.length <= 64);
  const status = world.node(neptune).status();
  assert.equal(status.firstIndex, snapshot.meta.index + 1, 'the snapshot reset neptune\'s log');
  assert.equal(world.node(neptune).disk.snapshot?.meta.index, snapshot.meta.index);
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
  // Replication continues normally after the snapshot.
  placed(world.propose(jupiter, 'london=after'));
  world.stabilize();
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
});

test('a lost snapshot chunk is sent again from the last acknowledged byte', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  world.heal();
  let lost = 0;
  world.rewrite((m) => {
    if (m.message.type === 'snapshot' && m.message.offset === 128 && lost === 0) {
      lost++;
      return null;
    }
    return m.message;
  });
  world.heartbeat(6);
  assert.equal(lost, 1);
  assert.equal(world.node(neptune).status().firstIndex, snapshot.meta.index + 1);
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
});

test('a node restarts from its snapshot and the entries after it', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  world.heal();
  world.heartbeat(2);
  placed(world.propose(jupiter, 'pune=1'));
  world.stabilize();
  world.crash(neptune);
  world.restart(neptune);
  const status = world.node(neptune).status();
  assert.equal(status.firstIndex, snapshot.meta.index + 1);
  assert.deepEqual([...status.config.voters].sort(), [jupiter, neptune, saturn]);
  world.heartbeat(2);
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
  // A restarted leader can still send its snapshot: the data comes back with the restored state.
  world.isolate(saturn);
  for (let i = 0; i < 5; i++) world.propose(jupiter, `pune=${i + 2}`);
  world.stabilize();
  world.node(jupiter).takeSnapshot();
  world.crash(jupiter);
  world.restart(jupiter);
  world.heal();
  world.run(40);
  assert.deepEqual(world.node(saturn).values(), world.node(jupiter).values());
  assert.deepEqual(world.stateMachineSafetyViolations, []);
});

test('a follower that restarts in the middle of a snapshot transfer gets it again from the first byte', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  world.heal();
  // Only the first two chunks get through; then neptune restarts, losing the partial snapshot it held in memory.
  world.rewrite((m) => (m.message.type === 'snapshot' && m.message.offset >= 128 ? null : m.message));
  world.heartbeat();
  assert.ok(world.delivered.some((m) => m.to === neptune && m.message.type === 'snapshot' && m.message.offset === 64));
  world.crash(neptune);
  world.restart(neptune);
  world.heal();
  world.delivered = [];
  world.heartbeat(8);
  const resent = world.delivered.filter((m) => m.to === neptune && m.message.type === 'snapshot');
  assert.ok(resent.some((m) => m.message.type === 'snapshot' && m.message.offset === 0), 'the transfer started over');
  assert.equal(world.node(neptune).status().firstIndex, snapshot.meta.index + 1);
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
});

test('a snapshot chunk damaged in flight is caught by the checksum: neptune installs nothing until a clean copy arrives', () => {
  const { world, snapshot } = farBehind({ snapshotChunkBytes: 64 });
  world.heal();
  let damaged = 0;
  world.rewrite((m) => {
    if (m.to !== neptune || m.message.type !== 'snapshot' || m.message.offset !== 64 || damaged > 0) return m.message;
    damaged++;
    const data = m.message.data.slice();
    data[3] = data[3]! ^ 0x10;
    return { ...m.message, data };
  });
  world.delivered = [];
  // The damaged copy completes first and is refused; neptune answers "0 bytes held" and the leader starts over.
  world.heartbeat(1);
  assert.equal(damaged, 1);
  assert.ok(
    world.delivered.some((m) => m.from === neptune && m.message.type === 'snapshot-response' && m.message.receivedBytes === 0),
    'neptune told jupiter it holds nothing of the damaged snapshot',
  );
  world.heartbeat(6);
  assert.equal(world.node(neptune).status().firstIndex, snapshot.meta.index + 1, 'the clean copy was installed');
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
  assert.deepEqual(world.stateMachineSafetyViolations, []);
});

test('a leader whose snapshot can no longer be read probes again and sends the snapshot it holds next', () => {
  const { world } = farBehind({ snapshotChunkBytes: 64 });
  const leader = world.node(jupiter);
  // The stored snapshot goes unreadable (its file superseded and closed, or the disk failing): chunks cannot be made.
  const held = leader.disk.snapshot!.data;
  const unreadable = { byteLength: held.byteLength, checksum: held.checksum, read: () => null };
  leader.core.snapshotStored(leader.disk.snapshot!.meta.index, unreadable);
  world.heal();
  world.delivered = [];
  world.heartbeat(3);
  assert.equal(world.delivered.filter((m) => m.to === neptune && m.message.type === 'snapshot').length, 0, 'nothing unreadable is sent');
  assert.ok(world.node(neptune).status().firstIndex <= 1, 'neptune still waits for a snapshot');
  // A fresh snapshot makes the data readable again, and neptune catches up from it.
  for (let i = 0; i < 3; i++) placed(world.propose(jupiter, `pune=${i}`));
  world.stabilize();
  const fresh = leader.takeSnapshot();
  world.heartbeat(6);
  assert.equal(world.node(neptune).status().firstIndex, fresh.meta.index + 1);
  assert.deepEqual(world.node(neptune).values(), world.node(jupiter).values());
});
