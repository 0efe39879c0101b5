// The Watch stream at the protocol level, where the etcd3 client hides the
// details: several watches on one stream numbered from 0, created and
// canceled responses, prev_kv, a compaction cancelling a watch with its
// compact_revision, progress; and the HTTP endpoints beside gRPC.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { etcdServices } from '../../src/api/etcd/proto.js';
import { startLocalEtcd, type LocalEtcd } from './local-etcd.js';

type Message = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let etcd: LocalEtcd;

before(async () => {
  etcd = await startLocalEtcd({}, { http: { host: '127.0.0.1', port: 0 } });
});

after(async () => {
  await etcd.close();
});

/** A watch stream whose responses can be awaited one at a time. */
function openWatch(): { send(request: Message): void; next(): Promise<Message>; close(): void } {
  const client = new (etcdServices().Watch)(etcd.address, credentials.createInsecure());
  const stream = (client as unknown as { Watch(): ClientDuplexStream<Message, Message> }).Watch();
  const queued: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  stream.on('data', (m: Message) => {
    const resolve = waiting.shift();
    if (resolve !== undefined) resolve(m);
    else queued.push(m);
  });
  stream.on('error', () => {});
  return {
    send: (request) => stream.write(request),
    next: () => new Promise((resolve) => {
      const m = queued.shift();
      if (m !== undefined) resolve(m);
      else waiting.push(resolve);
    }),
    close: () => {
      stream.end();
      client.close();
    },
  };
}

const text = (b: Buffer | undefined): string | undefined => b?.toString();

test('two watches share a stream, numbered from 0, and each sees its own keys with prev_kv', async () => {
  const watch = openWatch();
  watch.send({ create_request: { key: Buffer.from('boston'), prev_kv: true } });
  const first = await watch.next();
  assert.deepEqual([first['created'], first['watch_id']], [true, '0']);
  watch.send({ create_request: { key: Buffer.from('p'), range_end: Buffer.from('q') } });
  const second = await watch.next();
  assert.deepEqual([second['created'], second['watch_id']], [true, '1']);

  await etcd.backend.put({ key: Buffer.from('boston'), value: Buffer.from('10') });
  await etcd.backend.put({ key: Buffer.from('boston'), value: Buffer.from('11') });
  const pune = await etcd.backend.put({ key: Buffer.from('pune'), value: Buffer.from('4') });

  const events: Message[] = [];
  while (events.length < 3) {
    const response = await watch.next();
    for (const event of response['events']) events.push({ watch: response['watch_id'], key: text(event.kv.key), value: text(event.kv.value), prev: text(event.prev_kv?.value) });
  }
  assert.deepEqual(events, [
    { watch: '0', key: 'boston', value: '10', prev: undefined },
    { watch: '0', key: 'boston', value: '11', prev: '10' },
    { watch: '1', key: 'pune', value: '4', prev: undefined },
  ]);

  watch.send({ progress_request: {} });
  const progress = await watch.next();
  assert.equal(progress['watch_id'], '-1');
  assert.equal(progress['header']['revision'], String(pune.header.revision));

  watch.send({ cancel_request: { watch_id: '1' } });
  const canceled = await watch.next();
  assert.deepEqual([canceled['canceled'], canceled['watch_id']], [true, '1']);
  watch.close();
});

test('a watch from a compacted revision is canceled with the compact revision', async () => {
  await etcd.backend.put({ key: Buffer.from('london'), value: Buffer.from('3') });
  const { header } = await etcd.backend.put({ key: Buffer.from('london'), value: Buffer.from('4') });
  await etcd.backend.compact(header.revision, false);
  const watch = openWatch();
  watch.send({ create_request: { key: Buffer.from('london'), start_revision: '2' } });
  const created = await watch.next();
  assert.equal(created['created'], true);
  const canceled = await watch.next();
  assert.equal(canceled['canceled'], true);
  assert.equal(canceled['compact_revision'], String(header.revision));
  watch.close();
});

test('a watch id already in use is refused on that stream only', async () => {
  const watch = openWatch();
  watch.send({ create_request: { key: Buffer.from('pune'), watch_id: '5' } });
  assert.equal((await watch.next())['watch_id'], '5');
  watch.send({ create_request: { key: Buffer.from('pune'), watch_id: '5' } });
  const refused = await watch.next();
  assert.deepEqual([refused['created'], refused['canceled'], refused['watch_id']], [true, true, '-1']);
  assert.match(refused['cancel_reason'], /duplicate watch ID/);
  watch.close();
});

test('/health, /version and /metrics answer on the HTTP port as etcd\'s do', async () => {
  const base = `http://127.0.0.1:${etcd.server.httpPort}`;
  assert.deepEqual(await (await fetch(`${base}/health`)).json(), { health: 'true' });
  assert.deepEqual(await (await fetch(`${base}/version`)).json(), { etcdserver: '3.4.0', etcdcluster: '3.4.0' });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^etcd_server_has_leader 1$/m);
  const revision = (await etcd.backend.status()).header.revision;
  assert.match(metrics, new RegExp(`^etcd_debugging_mvcc_current_revision ${revision}$`, 'm'));
  assert.equal((await fetch(`${base}/nowhere`)).status, 404);
});

test('a watch from revision 1 over a long history catches up in many small steps without deepening the stack', async () => {
  // One revision per replay step, so catching up 3,000 revisions takes 3,000 steps, each making the watch ready again.
  const slow = await startLocalEtcd({ watch: { catchUpBatchRevisions: 1, watchBufferEvents: 4 } });
  try {
    const writes = 3_000;
    for (let i = 0; i < writes; i++) await slow.backend.put({ key: Buffer.from(`pune/${i % 10}`), value: Buffer.from(String(i)) });
    const client = new (etcdServices().Watch)(slow.address, credentials.createInsecure());
    const stream = (client as unknown as { Watch(): ClientDuplexStream<Message, Message> }).Watch();
    let events = 0;
    let failure: unknown = null;
    const done = new Promise<void>((resolve) => {
      stream.on('data', (m: Message) => {
        events += (m['events'] as unknown[] | undefined)?.length ?? 0;
        if (events >= writes) resolve();
      });
      stream.on('error', (error: unknown) => {
        failure = error;
        resolve();
      });
    });
    stream.write({ create_request: { key: Buffer.from('pune/'), range_end: Buffer.from('pune0'), start_revision: 1 } });
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 60_000);
    });
    await Promise.race([done, stuck]);
    clearTimeout(timer);
    assert.equal(failure, null);
    assert.equal(events, writes, 'every write arrived through the catch-up');
    stream.end();
    client.close();
  } finally {
    await slow.close();
  }
});
