// The trellis client against a three-member Trellis cluster of real
// processes: the commands whose answers depend on there being several
// members print what etcdctl prints against the same cluster, and a watch
// whose member restarts picks up where it left off.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestCluster, freePort } from '../../cluster/processes.js';
import { runClient, type ClientName } from './session.js';
import { startTrellis, trellis } from './trellis-process.js';

let cluster: TestCluster;
/** Member id (hex) → its name, to read outputs by name. */
const names = new Map<string, string>();

before(async () => {
  cluster = await TestCluster.start();
  const list = await trellis(['member', 'list', '-w', 'json', `--endpoints=${cluster.endpoints}`]);
  assert.equal(list.status, 0, list.stderr);
  for (const match of list.stdout.matchAll(/"ID":(\d+),"name":"([^"]*)"/g)) names.set(BigInt(match[1]!).toString(16), match[2]!);
  assert.equal(names.size, 3);
});

after(async () => {
  await cluster.stop();
});

function byName(text: string): string {
  let out = text;
  for (const [id, name] of names) out = out.split(id).join(`<${name}>`).split(BigInt(`0x${id}`).toString()).join(`<${name}>`);
  return out;
}

const userErrors = (stderr: string): string => stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{')).join('\n');

async function run(client: ClientName, args: readonly string[], endpoints = cluster.endpoints): Promise<string> {
  const { stdout, stderr, exit } = await runClient(client, endpoints, args).done;
  return byName(`${stdout}[stderr]\n${userErrors(stderr)}\n[exit ${exit}]`)
    .replace(/took = [\d.]+[µnm]?s/g, 'took = <duration>')
    .replace(/"took":"[\d.]+[µnm]?s"/g, '"took":"<duration>"');
}

/** etcdctl, then trellis, against the cluster as it is: both must print the same. */
async function same(args: readonly string[], normalise: (output: string) => string = (o) => o): Promise<string> {
  const expected = normalise(await run('etcdctl', args));
  const actual = normalise(await run('trellis', args));
  assert.equal(actual, expected, args.join(' '));
  return actual;
}

/** etcdctl prints answers as they arrive; trellis in --endpoints order. */
const sortedLines = (output: string): string => output.split('\n').sort().join('\n');
/** The log grows between the two runs (each run's own reads do not, but the cluster may). */
const anyIndex = (output: string): string =>
  output.replace(/"(raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+/g, '"$1":<n>').replace(/(true|false), (true|false), (\d+), \d+, \d+,/g, '$1, $2, $3, <index>, <applied>,');

/** Which member answers is the client's pick, not part of the answer. */
const anyMember = (o: string): string => o.replace(/"member_id":<n\d>/, '"member_id":<any>').replace(/"MemberID" : <n\d>/, '"MemberID" : <any>');

test('alice reads the cluster with trellis and sees what etcdctl shows her', async () => {
  await same(['put', 'boston', '10']);
  await same(['get', 'boston', '-w', 'json'], (o) => anyMember(o).replace(/"revision":\d+/g, '"revision":<rev>').replace(/"mod_revision":\d+,"version":\d+/, '<mod and version>'));
  await same(['member', 'list']);
  await same(['member', 'list', '-w', 'table']);
  await same(['member', 'list', '-w', 'json'], anyMember);
  await same(['member', 'list', '-w', 'fields'], anyMember);
  await same(['endpoint', 'status'], anyIndex);
  await same(['endpoint', 'status', '-w', 'json'], anyIndex);
  await same(['endpoint', 'status', '--cluster'], (o) => sortedLines(anyIndex(o)));
  await same(['endpoint', 'health'], sortedLines);
  const healthSorted = (o: string): string => o.replace(/^\[.*\]$/m, (list) => JSON.stringify((JSON.parse(list) as { endpoint: string }[]).sort((a, b) => a.endpoint.localeCompare(b.endpoint))));
  const health = await same(['endpoint', 'health', '--cluster', '-w', 'json'], healthSorted);
  assert.equal(health.match(/"health":true/g)?.length, 3);
  const hashes = await same(['endpoint', 'hashkv', '--cluster']);
  const distinct = new Set([...hashes.matchAll(/, (\d+)$/gm)].map((m) => m[1]));
  assert.equal(distinct.size, 1, 'every member holds the same history');
});

test('leadership moves to a follower and back, trellis and etcdctl each finding the leader among the endpoints', async () => {
  const leaderOf = async (): Promise<string> => {
    const status = await trellis(['endpoint', 'status', '-w', 'json', `--endpoints=${cluster.endpoints}`]);
    return BigInt(/"leader":(\d+)/.exec(status.stdout)![1]!).toString(16);
  };
  const first = await leaderOf();
  const follower = [...names.keys()].find((id) => id !== first)!;
  const there = await run('etcdctl', ['move-leader', follower]);
  assert.equal(there, `Leadership transferred from <${names.get(first)}> to <${names.get(follower)}>\n[stderr]\n\n[exit 0]`);
  assert.equal(await leaderOf(), follower);
  const back = await run('trellis', ['move-leader', first]);
  assert.equal(back, `Leadership transferred from <${names.get(follower)}> to <${names.get(first)}>\n[stderr]\n\n[exit 0]`);
  assert.equal(await leaderOf(), first);
  const notLeader = await run('trellis', ['move-leader', first], cluster.endpoint([...names.values()].find((n) => n !== names.get(first))!));
  assert.match(notLeader, /^\[stderr\]\nError: no leader endpoint given at \[127\.0\.0\.1:\d+\]: pass the leader's client URL in --endpoints/);
});

test('a learner added and removed: trellis prints the member and the flags to start it with, as etcdctl does', async () => {
  const added = new Map<ClientName, string>();
  for (const [client, name] of [['etcdctl', 'saturn'], ['trellis', 'neptune']] as const) {
    const url = `http://127.0.0.1:${await freePort()}`;
    const output = await run(client, ['member', 'add', name, `--peer-urls=${url}`, '--learner']);
    const id = /^Member +([0-9a-f]+) added to cluster/.exec(output)?.[1];
    assert.ok(id !== undefined, output);
    // etcdctl prints ids with %16x: an id of 15 hex digits (one in sixteen) gets a leading space. Each client
    // adds its own member, so the padding is checked here and the id then written the same way for both.
    assert.ok(output.startsWith(`Member ${id.padStart(16, ' ')} added to cluster `), output);
    const removed = await run(client, ['member', 'remove', id]);
    assert.match(removed, new RegExp(`^Member +${id} removed from cluster +[0-9a-f]+\\n`));
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(output)?.[1] ?? '';
    added.set(
      client,
      output
        .replace(initialCluster, initialCluster.split(',').sort().join(','))
        .replace(`Member ${id.padStart(16, ' ')}`, 'Member <new member>')
        .split(id).join('<new member>')
        .split(name).join('<name>')
        .split(url).join('<peer url>')
        .replace(/http:\/\/127\.0\.0\.1:\d+/g, '<url>'),
    );
  }
  assert.equal(added.get('trellis'), added.get('etcdctl'));
});

test('bob\'s watch resumes after its member restarts: every widget once, in order', async () => {
  const [n1, n2] = ['n1', 'n2'].map((name) => `--endpoints=${cluster.endpoint(name)}`) as [string, string];
  const bob = startTrellis(['watch', 'widget', '--prefix', n1]);
  try {
    // Until the first event arrives, bob's watch may not exist yet: keep putting widget0 until he sees one.
    for (let attempt = 0; !/PUT\nwidget0\n/.test(await Promise.race([bob.output(/widget0/), new Promise<string>((r) => setTimeout(() => r(''), 1_000))])); attempt++) {
      assert.ok(attempt < 30, 'bob never saw widget0');
      await trellis(['put', 'widget0', 'start', n2]);
    }
    const before = (await bob.output(/widget0/)).match(/PUT\nwidget0\n/g)!.length;
    await cluster.stopMember('n1');
    for (const city of ['boston', 'philadelphia', 'london']) assert.equal((await trellis(['put', `widget-${city}`, '1', n2])).status, 0);
    await cluster.restartMember('n1');
    assert.equal((await trellis(['put', 'widget-pune', '1', n2])).status, 0);
    const seen = await bob.output(/widget-pune\n1\n/);
    const after = seen.slice(seen.lastIndexOf('PUT\nwidget0\n') + 'PUT\nwidget0\nstart\n'.length);
    assert.equal(after, 'PUT\nwidget-boston\n1\nPUT\nwidget-philadelphia\n1\nPUT\nwidget-london\n1\nPUT\nwidget-pune\n1\n');
    assert.equal(seen.match(/PUT\nwidget0\n/g)!.length, before, 'no event came twice');
  } finally {
    bob.child.kill('SIGINT');
    await bob.done;
  }
});
