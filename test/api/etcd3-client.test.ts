// The etcd3 npm client, and the recipes people build with it, against a
// three-member Trellis cluster of real processes (each client knows all
// three endpoints): key-value calls, a watch, a watch whose member is
// restarted under it, leases kept alive and left to expire, locks and
// elections contested by several clients, and software transactional memory
// under concurrent transfers.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3, EtcdLockFailedError, Isolation, type IKeyValue } from 'etcd3';
import { TestCluster } from '../cluster/processes.js';

let cluster: TestCluster;
const clients: Etcd3[] = [];

function client(hosts: string[] = cluster.endpoints.split(',')): Etcd3 {
  const made = new Etcd3({ hosts });
  clients.push(made);
  return made;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  cluster = await TestCluster.start();
});

after(async () => {
  for (const c of clients) c.close();
  await cluster.stop();
});

test('alice stores widget counts and reads them back by key, prefix and revision', async () => {
  const alice = client();
  await alice.put('widgets/boston').value('10');
  await alice.put('widgets/pune').value('4');
  const put = await alice.put('widgets/boston').value('12').getPrevious();
  assert.equal(put?.value.toString(), '10');
  assert.equal(await alice.get('widgets/boston').string(), '12');
  assert.deepEqual(await alice.getAll().prefix('widgets/').strings(), { 'widgets/boston': '12', 'widgets/pune': '4' });
  assert.equal(await alice.getAll().prefix('widgets/').count(), 2);
  const history = await alice.get('widgets/boston').exec();
  const kv = history.kvs[0] as IKeyValue;
  assert.equal(kv.version, '2');
  const before = await alice.get('widgets/boston').revision(Number(kv.create_revision)).string();
  assert.equal(before, '10');
  const deleted = await alice.delete().key('widgets/pune').exec();
  assert.equal(deleted.deleted, '1');
  assert.equal(await alice.get('widgets/pune').string(), null);
});

test('a txn puts only when the compare holds, as bob expects', async () => {
  const bob = client();
  await bob.put('widgets/london').value('3');
  const won = await bob.if('widgets/london', 'Value', '==', '3').then(bob.put('widgets/london').value('4')).else(bob.get('widgets/london')).commit();
  assert.equal(won.succeeded, true);
  const lost = await bob.if('widgets/london', 'Value', '==', '3').then(bob.put('widgets/london').value('5')).else(bob.get('widgets/london')).commit();
  assert.equal(lost.succeeded, false);
  assert.equal(lost.responses[0]?.response_range?.kvs[0]?.value.toString(), '4');
});

test('a watch sees every change to the prefix in order', async () => {
  const alice = client();
  const bob = client();
  const watcher = await alice.watch().prefix('counts/').create();
  const seen: string[] = [];
  watcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
  watcher.on('delete', (kv) => seen.push(`delete ${kv.key.toString()}`));
  await bob.put('counts/boston').value('1');
  await bob.put('counts/philadelphia').value('2');
  await bob.put('elsewhere').value('x');
  await bob.delete().key('counts/boston');
  await eventually('three events', async () => (seen.length >= 3 ? true : undefined));
  assert.deepEqual(seen, ['put counts/boston=1', 'put counts/philadelphia=2', 'delete counts/boston']);
  await watcher.cancel();
});

test('a watch on saturn survives saturn being restarted and resumes with no gap and no duplicate', async () => {
  const watched = cluster.members[1]!;
  const alice = client([`127.0.0.1:${watched.clientPort}`]);
  const bob = client([cluster.endpoint('n1'), cluster.endpoint('n3')]);
  const watcher = await alice.watch().prefix('restart/').create();
  const seen: number[] = [];
  watcher.on('put', (kv) => seen.push(Number(kv.value.toString())));
  for (let i = 0; i < 10; i++) await bob.put('restart/boston').value(String(i));
  await eventually('the first ten events', async () => (seen.length >= 10 ? true : undefined));
  await cluster.stopMember(watched.name, 'SIGKILL');
  for (let i = 10; i < 20; i++) await bob.put('restart/boston').value(String(i));
  await cluster.restartMember(watched.name);
  for (let i = 20; i < 30; i++) await bob.put('restart/boston').value(String(i));
  await eventually('all thirty events', async () => (seen.length >= 30 ? true : undefined), 30_000);
  assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i), 'every write seen once, in order, across the restart');
  await watcher.cancel();
});

test('a kept-alive lease holds its key past its TTL; a neglected one expires and takes its key along', async () => {
  const alice = client();
  const kept = alice.lease(2);
  await kept.put('sessions/alice').value('online');
  const neglected = alice.lease(2, { autoKeepAlive: false });
  await neglected.put('sessions/bob').value('online');
  await eventually('bob\'s session to expire', async () => ((await alice.get('sessions/bob').string()) === null ? true : undefined));
  assert.equal(await alice.get('sessions/alice').string(), 'online', 'keep-alives held alice\'s lease while bob\'s expired');
  await kept.revoke();
  assert.equal(await alice.get('sessions/alice').string(), null);
});

test('a lock gives mutual exclusion to four clients counting widgets', async () => {
  const workers = ['alice', 'bob', 'carol', 'dave'].map(() => client());
  const rounds = 5;
  let inside = 0;
  let overlaps = 0;
  let attempts = 0;
  await Promise.all(
    workers.map(async (worker) => {
      for (let i = 0; i < rounds; ) {
        // etcd3's lock is a try-lock: it fails at once while another holds it.
        try {
          await worker.lock('locks/widgets').ttl(5).do(async () => {
            inside++;
            if (inside > 1) overlaps++;
            const count = Number((await worker.get('widgets/total').string()) ?? '0');
            await sleep(5);
            await worker.put('widgets/total').value(String(count + 1));
            inside--;
          });
          i++;
        } catch (error) {
          if (!(error instanceof EtcdLockFailedError)) throw error;
          attempts++;
          await sleep(2);
        }
      }
    }),
  );
  assert.equal(overlaps, 0);
  assert.ok(attempts > 0, 'the workers really contended for the lock');
  assert.equal(await workers[0]!.get('widgets/total').string(), String(workers.length * rounds));
});

test('an election has one leader at a time, and a resignation hands over', async () => {
  const names = ['boston', 'philadelphia', 'london'];
  const elections = names.map(() => client().election('elections/widget-master', 5));
  const campaigns = elections.map((election, i) => election.campaign(names[i]!));
  const observer = await client().election('elections/widget-master').observe();
  const first = await eventually('a leader', async () => (observer.leader() as string | undefined) ?? undefined);
  const leaderIndex = names.indexOf(first);
  assert.ok(leaderIndex >= 0);
  await campaigns[leaderIndex]!.resign();
  const second = await eventually('a new leader', async () => {
    const now = observer.leader() as string | undefined;
    return now !== undefined && now !== first ? now : undefined;
  });
  assert.notEqual(second, first);
  assert.ok(names.includes(second));
  await observer.cancel();
  for (const [i, campaign] of campaigns.entries()) if (i !== leaderIndex) await campaign.resign();
});

test('software transactional memory moves widgets between cities without losing any', async () => {
  const setup = client();
  await setup.put('stm/boston').value('100');
  await setup.put('stm/philadelphia').value('100');
  const movers = [client(), client(), client()];
  await Promise.all(
    movers.map(async (mover, m) => {
      for (let i = 0; i < 5; i++) {
        const [from, to] = (i + m) % 2 === 0 ? ['stm/boston', 'stm/philadelphia'] : ['stm/philadelphia', 'stm/boston'];
        // etcd3 1.1's SerializableSnapshot level compares against the wrong
        // revision and conflicts forever when the keys were written at
        // different revisions (it does so against etcd 3.4 too), so use Serializable.
        await mover.stm({ retries: 100, isolation: Isolation.Serializable }).transact(async (tx) => {
          const a = Number(await tx.get(from!).string());
          const b = Number(await tx.get(to!).string());
          await tx.put(from!).value(String(a - 1));
          await tx.put(to!).value(String(b + 1));
        });
      }
    }),
  );
  const boston = Number(await setup.get('stm/boston').string());
  const philadelphia = Number(await setup.get('stm/philadelphia').string());
  assert.equal(boston + philadelphia, 200);
});
