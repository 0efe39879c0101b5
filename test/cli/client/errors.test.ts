// Mistakes get a message that names the problem and a non-zero exit code,
// and change nothing on the server: a bad URL, an unreachable cluster, a bad
// flag, a missing argument, a transaction that does not parse.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../../cluster/processes.js';
import { startLocalEtcd, type LocalEtcd } from '../../api/local-etcd.js';
import { trellis, type Finished } from './trellis-process.js';

let etcd: LocalEtcd;
let endpoint: string;

before(async () => {
  etcd = await startLocalEtcd();
  endpoint = `--endpoints=${etcd.address}`;
  assert.equal((await trellis(['put', 'boston', '10', endpoint])).status, 0);
});

after(async () => {
  await etcd.close();
});

/** The member's applied index: anything that reached the store moves it. */
async function appliedIndex(): Promise<number> {
  return (await etcd.backend.status()).body.raftAppliedIndex;
}

function assertFailed(run: Finished, exitCode: number, message: RegExp): void {
  assert.equal(run.status, exitCode, `exit code (stderr: ${run.stderr})`);
  assert.match(run.stderr, message);
  assert.equal(run.stdout, '');
}

test('an endpoint that is not a URL is named, with what is wrong with it, before anything is dialed', async () => {
  const cases: [string, RegExp][] = [
    ['notaurl', /^Error: bad endpoint "notaurl": no port given; expected host:port or http:\/\/host:port/],
    ['127.0.0.1:99999', /^Error: bad endpoint "127\.0\.0\.1:99999": port 99999 is not between 1 and 65535/],
    ['http://127.0.0.1:abc', /^Error: bad endpoint "http:\/\/127\.0\.0\.1:abc": port "abc" is not a number/],
    ['ftp://127.0.0.1:2379', /^Error: bad endpoint "ftp:\/\/127\.0\.0\.1:2379": scheme ftp:\/\/ is not supported/],
    ['https://127.0.0.1:2379', /^Error: bad endpoint "https:\/\/127\.0\.0\.1:2379": TLS \(https:\/\/\) is not supported by trellis yet/],
    ['127.0.0.1:2379/v3', /^Error: bad endpoint "127\.0\.0\.1:2379\/v3": an endpoint has no path/],
    [`${etcd.address},`, /^Error: empty endpoint in --endpoints/],
  ];
  const before = await appliedIndex();
  for (const [text, message] of cases) assertFailed(await trellis(['put', 'boston', '11', `--endpoints=${text}`]), 128, message);
  assert.equal(await appliedIndex(), before);
});

test('a cluster nobody answers for is reported after --dial-timeout, naming each endpoint and why', async () => {
  const closedPort = await freePort();
  const run = await trellis(['get', 'boston', `--endpoints=127.0.0.1:${closedPort}`, '--dial-timeout=300ms']);
  assertFailed(run, 2, new RegExp(`^Error: context deadline exceeded: no endpoint answered within the dial timeout \\(300ms\\): 127\\.0\\.0\\.1:${closedPort}: connection refused`));
});

test('a port that accepts connections but does not speak gRPC is told apart from a dead one', async () => {
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    const run = await trellis(['get', 'boston', `--endpoints=127.0.0.1:${port}`, '--dial-timeout=300ms']);
    assertFailed(run, 2, /127\.0\.0\.1:\d+: accepts connections but did not answer gRPC: is this an etcd client URL\?/);
  } finally {
    silent.close();
  }
});

test('with one dead endpoint among several, the command goes through a live one', async () => {
  const closedPort = await freePort();
  const run = await trellis(['get', 'boston', `--endpoints=127.0.0.1:${closedPort},${etcd.address}`]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'boston\n10\n');
});

test('endpoint health and status name the member that did not answer, report the others, and exit non-zero', async () => {
  const deadPort = await freePort();
  const endpoints = `--endpoints=${etcd.address},127.0.0.1:${deadPort}`;
  const health = await trellis(['endpoint', 'health', endpoints, '--dial-timeout=300ms']);
  assert.equal(health.status, 1);
  assert.match(health.stderr, new RegExp(`^${etcd.address} is healthy: successfully committed proposal: took = [\\d.]+[µnm]?s$`, 'm'));
  assert.match(health.stderr, new RegExp(`^127\\.0\\.0\\.1:${deadPort} is unhealthy: failed to commit proposal: context deadline exceeded: .*connection refused`, 'm'));
  assert.match(health.stderr, /^Error: unhealthy cluster$/m);
  const status = await trellis(['endpoint', 'status', endpoints, '--dial-timeout=300ms']);
  assert.equal(status.status, 1);
  assert.match(status.stdout, new RegExp(`^${etcd.address}, [0-9a-f]+, `));
  assert.equal(status.stdout.split('\n').filter((line) => line !== '').length, 1);
  assert.match(status.stderr, new RegExp(`^Failed to get the status of endpoint 127\\.0\\.0\\.1:${deadPort} \\(context deadline exceeded: `));
});

test('a bad flag or flag value is named, and nothing is sent', async () => {
  const before = await appliedIndex();
  assertFailed(await trellis(['put', 'boston', '11', '--bogus', endpoint]), 1, /error: unknown option '--bogus'/);
  assertFailed(await trellis(['get', 'boston', '--limit=abc', endpoint]), 1, /option '--limit <n>' argument 'abc' is invalid\. expected a whole number/);
  assertFailed(await trellis(['put', 'boston', '11', '--dial-timeout=soon', endpoint]), 1, /argument 'soon' is invalid\. not a duration: expected a number with a unit/);
  assertFailed(await trellis(['put', 'boston', '11', '-w', 'yaml', endpoint]), 4, /^Error: unsupported output format "yaml"/);
  assertFailed(await trellis(['put', 'boston', '11', '-w', 'table', endpoint]), 4, /^Error: table not supported as output format/);
  assertFailed(await trellis(['get', 'boston', '--order=SIDEWAYS', endpoint]), 4, /^Error: bad sort order SIDEWAYS: use ASCEND or DESCEND/);
  assertFailed(await trellis(['get', 'boston', '--consistency=x', endpoint]), 4, /^Error: unknown consistency flag "x"/);
  assertFailed(await trellis(['put', 'boston', '11', '--lease=zz', endpoint]), 128, /^Error: bad lease ID "zz", expecting ID in Hex/);
  assertFailed(await trellis(['get', 'boston', '--print-value-only', '-w', 'json', endpoint]), 128, /print-value-only is only for `--write-out=simple`/);
  assertFailed(await trellis(['lease', 'bogus', endpoint]), 1, /error: unknown command 'bogus'/);
  assert.equal(await appliedIndex(), before);
});

test('a missing or extra argument gets etcdctl\'s words for it', async () => {
  const before = await appliedIndex();
  const cases: [string[], RegExp][] = [
    [['get'], /^Error: get command needs one argument as key and an optional argument as range_end/],
    [['put'], /^Error: put command needs 1 argument and input from stdin or 2 arguments/],
    [['put', 'boston', 'ten', 'thousand'], /^Error: put command takes a key and one value, got 3 arguments: quote a value that has spaces/],
    [['del'], /^Error: del command needs one argument as key and an optional argument as range_end/],
    [['lease', 'grant'], /^Error: lease grant command needs TTL argument/],
    [['lease', 'grant', 'forever'], /^Error: bad TTL "forever": expected a whole number of seconds/],
    [['lease', 'revoke'], /^Error: lease revoke command needs 1 argument/],
    [['lease', 'keep-alive'], /^Error: lease keep-alive command needs lease ID as argument/],
    [['member', 'remove', 'jupiter'], /^Error: bad member ID arg "jupiter", expecting ID in Hex/],
    [['member', 'add', 'saturn', 'http://127.0.0.1:2380'], /^Error: too many arguments, did you mean --peer-urls=http:\/\/127\.0\.0\.1:2380/],
    [['compaction'], /^Error: compaction command needs 1 argument/],
    [['compaction', 'yesterday'], /^Error: bad revision "yesterday": expected a whole number/],
    [['move-leader'], /^Error: move-leader command needs 1 argument/],
    [['watch'], /^Error: bad number of arguments: watch needs a key or prefix/],
    [['snapshot', 'save'], /^Error: snapshot save expects one argument/],
  ];
  for (const [args, message] of cases) {
    const run = await trellis([...args, endpoint]);
    assert.notEqual(run.status, 0, `${args.join(' ')} failed`);
    assert.match(run.stderr, message, args.join(' '));
  }
  assert.equal(await appliedIndex(), before);
});

test('a transaction that does not parse is refused whole: not even its valid lines are applied', async () => {
  const before = await appliedIndex();
  const cases: [string, RegExp][] = [
    ['valu("boston") = "10"\n\nput pune 1\n\n\n', /^Error: malformed comparison: valu\("boston"\) = "10" \(unknown target valu: use version, create, mod, value or lease\)/],
    ['value("boston") == "10"\n\nput pune 1\n\n\n', /^Error: malformed comparison: value\("boston"\) == "10" \(unknown operator "==": use =, !=, < or >\)/],
    ['value(boston) = "10"\n\n\n\n', /^Error: malformed comparison: value\(boston\) = "10" \(the key must be a quoted string/],
    ['mod("boston") > "recent"\n\n\n\n', /^Error: invalid txn compare request: mod\("boston"\) > "recent" \(mod compares with a whole number, got "recent"\)/],
    ['\nput pune 1\nfly pune\n\n\n', /^Error: invalid txn request: fly pune \(unknown command 'fly'\)/],
    ['\nput pune 1\nput london\n\n\n', /^Error: invalid txn request: put london \(put command needs 1 argument and input from stdin or 2 arguments\)/],
    ['\nput pune 1\nget pune --bogus\n\n\n', /^Error: invalid txn request: get pune --bogus \(unknown option '--bogus'\)/],
    ['\nput pune 1\n\n', /^Error: EOF: input ended before the empty line that closes the failure requests/],
  ];
  for (const [stdin, message] of cases) {
    const run = await trellis(['txn', endpoint], stdin);
    assertFailed(run, 3, message);
  }
  assert.equal(await appliedIndex(), before);
  assert.equal((await trellis(['get', 'pune', endpoint])).stdout, '', 'pune was never written');
});

test('an error from the server is printed in etcd\'s words with exit code 1', async () => {
  const run = await trellis(['get', 'boston', '--rev=1000', endpoint]);
  assertFailed(run, 1, /^Error: etcdserver: mvcc: required revision is a future revision$/m);
});
