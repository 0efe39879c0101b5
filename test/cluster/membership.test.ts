// Membership changes on a cluster of real processes, as an operator makes
// them with etcdctl: pune joins as a learner and catches up, is promoted to
// a voter, and the leader itself is removed: it stops serving, and the
// others carry on without it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdctl } from '../api/etcdctl-scenario.js';
import { TestCluster, sleep } from './processes.js';

let cluster: TestCluster | null = null;

/** The last lines each member logged, so a failure can be read without rerunning. */
function memberLogs(): string {
  return (cluster?.members ?? []).map((m) => `--- ${m.name}:\n${m.log.split('\n').filter((line) => !line.includes('channel to')).slice(-15).join('\n')}`).join('\n');
}

async function run(endpoint: string, ...args: string[]): Promise<string> {
  const result = await etcdctl(endpoint, args).done;
  assert.equal(result.exit, '0', `etcdctl ${args.join(' ')} failed: ${result.stderr}\n${memberLogs()}`);
  return result.stdout;
}

async function eventually(what: string, probe: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
    await sleep(200);
  }
}

test('pune joins as a learner, is promoted once caught up, and the removed leader stops serving', async () => {
  cluster = await TestCluster.start({ flags: ['--log-level', 'info'] });
  try {
    const all = cluster.endpoints;
    for (const city of ['boston', 'philadelphia', 'london']) await run(all, 'put', `widgets/${city}`, '5');

    const pune = await cluster!.spareMember('pune');
    const added = await run(all, 'member', 'add', 'pune', `--peer-urls=http://127.0.0.1:${pune.peerPort}`, '--learner');
    const puneId = /Member\s+([0-9a-f]+) added/.exec(added)?.[1];
    assert.ok(puneId !== undefined, added);
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added)![1]!;
    cluster.launch(pune, 'existing', initialCluster);
    await cluster.waitReady();
    const local = cluster.endpoint('pune');
    await eventually('pune holds the widget counts', async () => (await etcdctl(local, ['get', 'widgets/', '--prefix', '--consistency=s', '--keys-only']).done).stdout.split('\n').filter((l) => l !== '').length === 3);
    await eventually('pune has published its name and client URL: a started learner', async () => new RegExp(`${puneId}, started, pune, .*, true`).test(await run(all, 'member', 'list')));

    await eventually('the leader sees pune in sync and promotes it', async () => (await etcdctl(all, ['member', 'promote', puneId!]).done).exit === '0');
    assert.match(await run(all, 'member', 'list'), new RegExp(`${puneId}, started, pune, .*, false`), 'pune votes now');

    const statuses = JSON.parse((await run(all, 'endpoint', 'status', '-w', 'json')).replace(/"leader":(\d+)/g, '"leader":"$1"').replace(/"member_id":(\d+)/g, '"member_id":"$1"')) as
      { Endpoint: string; Status: { header: { member_id: string }; leader: string } }[];
    const leader = statuses.find((s) => s.Status.header.member_id === s.Status.leader)!;
    const leaderHex = BigInt(leader.Status.leader).toString(16);
    const leaderMember = cluster.members.find((m) => leader.Endpoint.endsWith(`:${m.clientPort}`))!;
    await run(all, 'member', 'remove', leaderHex);
    await eventually(`${leaderMember.name}, the removed leader, exits`, async () => leaderMember.process === null);
    assert.match(leaderMember.log, /permanently removed from the cluster/);

    const rest = cluster.members.filter((m) => m !== leaderMember).map((m) => `127.0.0.1:${m.clientPort}`).join(',');
    await run(rest, 'put', 'widgets/pune', '9');
    await eventually('pune applied the write made without the old leader', async () => (await etcdctl(local, ['get', 'widgets/pune', '--print-value-only']).done).stdout.trim() === '9');
    const members = await run(rest, 'member', 'list');
    assert.equal(members.split('\n').filter((l) => l !== '').length, 3, 'three members remain');
    assert.ok(!members.includes(leaderHex), 'the old leader is gone from the list');

    // Started again on its old data directory, the removed member refuses to serve and says what to do.
    cluster!.launch(leaderMember);
    await eventually(`${leaderMember.name} exits again`, async () => leaderMember.process === null);
    assert.match(leaderMember.log, /was removed from the cluster: add it again with `etcdctl member add`|permanently removed from the cluster/);
  } finally {
    await cluster.stop();
  }
});
