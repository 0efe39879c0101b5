// A node's lives: a crash is a power cut (only what was synced survives, and
// nothing the old process started ever completes), a restart boots a new
// incarnation from the same disk, and a pause is SIGSTOP (everything waits).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../src/ids.js';
import { World, type SimNodeEnvironment } from '../../src/sim/world.js';
import type { Transport } from '../../src/runtime/transport.js';
import { addRecorders, received, send } from './recorder.js';

const text = new TextEncoder();
const untext = new TextDecoder();

interface WidgetStore {
  env: SimNodeEnvironment;
  /** What this incarnation found on disk at boot. */
  recovered: string;
  written: string;
  /** What the last acknowledged datasync covered. */
  synced: string;
}

function widgetStore(world: World): void {
  world.addNode('jupiter', {
    async boot(env) {
      await env.disk.makeDirectory('widgets');
      await env.disk.syncDirectory('');
      const file = await env.disk.open('widgets/counts', { create: true });
      await env.disk.syncDirectory('widgets');
      const bytes = await file.read(0, await file.sizeBytes());
      const store: WidgetStore = { env, recovered: untext.decode(bytes), written: '', synced: '' };
      // Two writes a second; each is synced only every other time, so a crash finds one unsynced.
      let count = 0;
      const write = async (): Promise<void> => {
        count++;
        const line = `boston=${count};`;
        await file.append(text.encode(line));
        store.written += line;
        if (count % 2 === 0) {
          const covered = store.written;
          await file.datasync();
          store.synced = covered;
        }
      };
      const tick = (): void => {
        void write();
        env.timers.schedule(500, tick);
      };
      env.timers.schedule(500, tick);
      return store;
    },
  });
}

test('after a crash and restart, jupiter finds every synced write and nothing unsynced beyond a torn tail', async () => {
  const world = new World({ seed: 11 });
  widgetStore(world);
  await world.runFor(2_600);
  const beforeCrash = world.process<WidgetStore>('jupiter')!;
  const { synced, written } = beforeCrash;
  assert.equal(synced, 'boston=1;boston=2;boston=3;boston=4;');
  assert.equal(written, synced + 'boston=5;');
  world.crash('jupiter');
  assert.equal(world.process('jupiter'), undefined, 'the process is forgotten');
  assert.equal(world.status('jupiter'), 'crashed');
  world.restart('jupiter');
  await world.runFor(100);
  const afterRestart = world.process<WidgetStore>('jupiter')!;
  assert.equal(afterRestart.env.incarnation, 2);
  assert.ok(afterRestart.recovered.startsWith(synced), `synced writes survive: ${afterRestart.recovered}`);
  assert.ok(written.startsWith(afterRestart.recovered), `nothing but a prefix of the unsynced write: ${afterRestart.recovered}`);
  assert.equal(untext.decode(world.disk('jupiter').durableFiles().get('widgets/counts')), afterRestart.recovered);
});

test('a datasync in flight at the crash never completes for the old process', async () => {
  const world = new World({ seed: 2, disk: { datasyncLatencyMs: 10 } });
  const heard: string[] = [];
  world.addNode('saturn', {
    async boot(env) {
      const file = await env.disk.open('wal', { create: true });
      await file.append(text.encode('entry'));
      env.timers.schedule(100, () => {
        file.datasync().then(
          () => heard.push(`synced in life ${env.incarnation}`),
          () => heard.push('failed'),
        );
      });
      return env;
    },
  });
  await world.runFor(105);
  world.crash('saturn');
  await world.runFor(1_000);
  assert.deepEqual(heard, []);
  assert.equal(world.disk('saturn').durableFiles().get('wal'), undefined, 'the create was never synced either');
});

test('messages in flight to or from a crashed incarnation are dropped, even after a restart', async () => {
  const world = new World({ seed: 4, links: { minLatencyMs: 10, maxLatencyMs: 10 } });
  const network = world.network<string>('raft');
  addRecorders(world, network, ['jupiter', 'saturn']);
  await world.runFor(0);
  send(world, 'jupiter', 'saturn', 'append from jupiter 1');
  send(world, 'saturn', 'jupiter', 'vote from saturn 1');
  await world.runFor(5);
  world.crash('saturn');
  world.restart('saturn');
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), [], 'addressed to the old incarnation');
  assert.deepEqual(received(world, 'jupiter'), [], 'sent by the old incarnation');
  assert.equal(network.stats.dropped['receiver-crashed'], 1);
  assert.equal(network.stats.dropped['sender-crashed'], 1);
  send(world, 'jupiter', 'saturn', 'append from jupiter 2');
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), ['append from jupiter 2']);
});

test("a crash closes the old process's transports: what it sends afterwards goes nowhere", async () => {
  const world = new World({ seed: 5 });
  const network = world.network<string>('raft');
  let oldTransport: Transport<string> | undefined;
  addRecorders(world, network, ['saturn']);
  world.addNode('jupiter', {
    boot(env) {
      oldTransport ??= env.transport(network);
      return env;
    },
  });
  await world.runFor(0);
  world.crash('jupiter');
  world.restart('jupiter');
  await world.runFor(0);
  oldTransport!.send(nodeId('saturn'), 'zombie heartbeat');
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), []);
  assert.equal(network.stats.dropped.closed, 1);
});

test('a paused node receives nothing until resumed, then everything that was queued, in order', async () => {
  const world = new World({ seed: 6, links: { minLatencyMs: 5, maxLatencyMs: 5 } });
  const network = world.network<string>('raft');
  addRecorders(world, network, ['jupiter', 'neptune']);
  await world.runFor(0);
  world.pause('neptune');
  for (const city of ['boston', 'philadelphia', 'london', 'pune']) send(world, 'jupiter', 'neptune', city);
  await world.runFor(1_000);
  assert.deepEqual(received(world, 'neptune'), []);
  assert.equal(world.status('neptune'), 'paused');
  world.resume('neptune');
  await world.runFor(0);
  assert.deepEqual(received(world, 'neptune'), ['boston', 'philadelphia', 'london', 'pune']);
  assert.equal(network.stats.delivered, 4);
});

test('a disk completion that comes due while paused resumes the process only after SIGCONT', async () => {
  const world = new World({ seed: 8, disk: { datasyncLatencyMs: 10 } });
  const heard: number[] = [];
  world.addNode('pune', {
    async boot(env) {
      const file = await env.disk.open('log', { create: true });
      env.timers.schedule(100, async () => {
        await file.datasync();
        heard.push(world.nowMs());
      });
      return env;
    },
  });
  world.at(105, 'SIGSTOP', () => world.pause('pune'));
  world.at(300, 'SIGCONT', () => world.resume('pune'));
  await world.runFor(1_000);
  assert.deepEqual(heard, [300]);
});

test("a node's logger writes into the trace, right after the timer that caused it", async () => {
  const world = new World({ seed: 9, trace: { enabled: true } });
  world.addNode('saturn', {
    boot(env) {
      env.timers.schedule(25, () => env.logger.info({ term: 3, leader: 'jupiter' }, 'became follower'));
      return env;
    },
  });
  await world.runFor(100);
  assert.deepEqual(world.trace.lines(), [
    '       0.000 saturn boot incarnation 1',
    '      25.000 saturn timer #1',
    '      25.000 saturn info became follower term=3 leader="jupiter"',
  ]);
});

test("a checker can read a crashed node's disk through the Disk interface", async () => {
  const world = new World({ seed: 10 });
  world.addNode('london', {
    async boot(env) {
      const file = await env.disk.open('widgets', { create: true });
      await file.append(text.encode('london=7'));
      await file.datasync();
      await env.disk.syncDirectory('');
      return env;
    },
  });
  await world.runFor(100);
  world.crash('london');
  const disk = world.disk('london');
  let found = '';
  // Disk operations complete in virtual time, so the checker runs inside the world.
  world.after(0, 'checker', async () => {
    const file = await disk.open('widgets', { create: false });
    found = untext.decode(await file.read(0, await file.sizeBytes()));
  });
  await world.runFor(10);
  assert.equal(found, 'london=7');
});

test("the world's summary names each node's state and every cut link", async () => {
  const world = new World({ seed: 12 });
  const network = world.network<string>('raft');
  addRecorders(world, network, ['jupiter', 'saturn', 'neptune']);
  await world.runFor(10);
  world.crash('saturn');
  world.pause('neptune');
  world.jumpWallClock('jupiter', -500);
  world.blockLink('jupiter', 'neptune');
  send(world, 'jupiter', 'neptune', 'heartbeat');
  assert.deepEqual(world.summary(), [
    'seed 12 at 10.000ms after 3 events',
    'jupiter: running, incarnation 1, 0 waiting, clock drift 0ppm wall-monotonic -500.000ms',
    'saturn: crashed, incarnation 1, 0 waiting, clock drift 0ppm wall-monotonic 0.000ms',
    'neptune: paused, incarnation 1, 0 waiting, clock drift 0ppm wall-monotonic 0.000ms',
    'network raft: 1 sent, 0 delivered, 0 duplicated, dropped {partitioned: 1}',
    'unreachable: jupiter->neptune',
  ]);
});

test('a stalled disk holds every completion until released, while the node keeps running its timers', async () => {
  const world = new World({ seed: 15, disk: { datasyncLatencyMs: 1 } });
  const heard: Array<[string, number]> = [];
  let openedAtMs = 0;
  world.addNode('boston', {
    async boot(env) {
      const wal = await env.disk.open('wal', { create: true });
      openedAtMs = world.nowMs();
      env.timers.schedule(100, async () => {
        await wal.append(text.encode('boston=1'));
        heard.push(['appended', world.nowMs()]);
        await wal.datasync();
        heard.push(['synced', world.nowMs()]);
      });
      env.timers.schedule(200, () => heard.push(['heartbeat', world.nowMs()]));
      return env;
    },
  });
  world.at(50, 'fsync hangs', () => world.stallDisk('boston'));
  world.at(400, 'device recovers', () => world.unstallDisk('boston'));
  await world.runFor(300);
  assert.deepEqual(heard, [['heartbeat', openedAtMs + 200]]);
  assert.equal(world.isDiskStalled('boston'), true);
  await world.runFor(200);
  assert.deepEqual(heard, [['heartbeat', openedAtMs + 200], ['appended', 400], ['synced', 401]]);
  assert.equal(world.isDiskStalled('boston'), false);
});

test('a node paused past maxDeferredEventsPerNode fails the run instead of growing without bound', async () => {
  const world = new World({ seed: 16, maxDeferredEventsPerNode: 3 });
  const network = world.network<string>('raft');
  addRecorders(world, network, ['jupiter', 'pune']);
  await world.runFor(0);
  world.pause('pune');
  for (const city of ['boston', 'philadelphia', 'london', 'pune']) send(world, 'jupiter', 'pune', city);
  await assert.rejects(world.runFor(100), /pune is paused with 3 events waiting/);
});
