// The client port shared the way etcd's cmux shares it, with real clients:
// etcdctl 3.4 with http:// endpoints (whose Maintenance calls carry
// ":authority: http://127.0.0.1:PORT", which Node's HTTP/2 server alone
// resets with PROTOCOL_ERROR), the etcd3 client, plain grpc-js, node:http2,
// and HTTP/1 GETs of /health, /version and /metrics.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { etcdServices } from '../../src/api/etcd/proto.js';
import { grpcCall } from './client-port-wire.js';
import { startLocalEtcd, type LocalEtcd } from './local-etcd.js';

const etcdctlPath = '/usr/bin/etcdctl';
const run = promisify(execFile);

let etcd: LocalEtcd;
let endpoint: string;
let workDir: string;

before(async () => {
  etcd = await startLocalEtcd();
  endpoint = `http://127.0.0.1:${etcd.server.port}`;
  workDir = mkdtempSync(join(tmpdir(), 'trellis-client-port-'));
});

after(async () => {
  await etcd.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** etcdctl's stdout, or its stderr when stdout is empty (endpoint health reports there). */
async function etcdctl(target: string, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(etcdctlPath, [`--endpoints=${target}`, '--dial-timeout=5s', '--command-timeout=10s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000,
  });
  return (stdout.trim() === '' ? stderr : stdout).trim();
}

test('etcdctl 3.4 with an http:// endpoint: endpoint status, hashkv and health, snapshot save, alarm list, put and get', async (t) => {
  assert.ok(existsSync(etcdctlPath), `${etcdctlPath} is missing: install Debian's etcd-client`);
  const rewrittenBefore = etcd.server.clientPortCounters.http2Rewritten;
  assert.equal(await etcdctl(endpoint, 'put', 'boston', '10'), 'OK');
  assert.equal(await etcdctl(endpoint, 'get', 'boston'), 'boston\n10');
  await t.test('endpoint status', async () => {
    const status = await etcdctl(endpoint, 'endpoint', 'status');
    assert.match(status, new RegExp(`^${endpoint}, [0-9a-f]+, 3\\.4\\.0, \\d+ B, true, false, \\d+, \\d+, \\d+,$`));
  });
  await t.test('endpoint hashkv agrees with the same call made without the scheme', async () => {
    const [withScheme, without] = [await etcdctl(endpoint, 'endpoint', 'hashkv'), await etcdctl(`127.0.0.1:${etcd.server.port}`, 'endpoint', 'hashkv')];
    assert.equal(withScheme.split(', ')[1], without.split(', ')[1]);
    assert.match(withScheme, new RegExp(`^${endpoint}, \\d+$`));
  });
  await t.test('endpoint health', async () => {
    assert.match(await etcdctl(endpoint, 'endpoint', 'health'), new RegExp(`^${endpoint} is healthy: successfully committed proposal`));
  });
  await t.test('snapshot save', async () => {
    const file = join(workDir, 'snapshot.db');
    assert.match(await etcdctl(endpoint, 'snapshot', 'save', file), /Snapshot saved at/);
    assert.ok(statSync(file).size > 0);
  });
  await t.test('alarm list', async () => {
    assert.equal(await etcdctl(endpoint, 'alarm', 'list'), '');
  });
  assert.equal(etcd.server.clientPortCounters.http2Rewritten, rewrittenBefore + 2, 'status and hashkv, which dial the endpoint itself, went through the authority rewriter');
});

test('the etcd3 client and a plain grpc-js client are handed to grpc-js as their own sockets', async () => {
  const { http2Direct, http2Rewritten } = etcd.server.clientPortCounters;
  const alice = new Etcd3({ hosts: etcd.address });
  try {
    await alice.put('philadelphia').value('7');
    assert.equal(await alice.get('philadelphia').string(), '7');
  } finally {
    alice.close();
  }
  const kv = new (etcdServices().KV)(etcd.address, credentials.createInsecure());
  try {
    const range = await new Promise<Record<string, unknown>>((resolve, reject) =>
      (kv as unknown as { Range(r: object, cb: (e: Error | null, v: Record<string, unknown>) => void): void }).Range({ key: Buffer.from('philadelphia') }, (e, v) => (e === null ? resolve(v) : reject(e))),
    );
    assert.equal(range['count'], '1');
  } finally {
    kv.close();
  }
  assert.equal(etcd.server.clientPortCounters.http2Direct, http2Direct + 2);
  assert.equal(etcd.server.clientPortCounters.http2Rewritten, http2Rewritten);
});

test('a first request larger than the connection window gets through while the front holds the connection', async () => {
  // grpc-js sends HEADERS and a whole window of DATA before it acknowledges the front's SETTINGS.
  for (const [sizeBytes, outcome] of [[1_000_000, 'stored'], [1_600_000, 'etcdserver: request is too large']] as const) {
    const bob = new Etcd3({ hosts: etcd.address });
    try {
      const result = await bob.put('london').value(Buffer.alloc(sizeBytes, 'w')).then(() => 'stored', (error: Error) => error.message);
      assert.match(result, new RegExp(outcome));
    } finally {
      bob.close();
    }
  }
  assert.equal((await etcd.backend.range({ key: Buffer.from('london') }, { serializable: true })).body.kvs[0]?.value.length, 1_000_000);
});

test('a node:http2 request with :authority http://127.0.0.1:PORT is answered, not reset with PROTOCOL_ERROR', async () => {
  const rewritten = etcd.server.clientPortCounters.http2Rewritten;
  const call = grpcCall(etcd.server.port, `http://127.0.0.1:${etcd.server.port}`, '/etcdserverpb.Maintenance/Status');
  try {
    assert.deepEqual(await call.outcome, { status: '200', grpcStatus: '0', rstCode: 0 });
    assert.equal(etcd.server.clientPortCounters.http2Rewritten, rewritten + 1);
  } finally {
    call.session.close();
  }
});

test('/health, /version and /metrics answer HTTP/1 GETs on the client port', async () => {
  assert.deepEqual(await (await fetch(`${endpoint}/health`)).json(), { health: 'true' });
  assert.deepEqual(await (await fetch(`${endpoint}/version`)).json(), { etcdserver: '3.4.0', etcdcluster: '3.4.0' });
  assert.match(await (await fetch(`${endpoint}/metrics`)).text(), /^etcd_server_has_leader 1$/m);
  const socket = connect(etcd.server.port, '127.0.0.1');
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
  });
  socket.write('GET /version HTTP/1.0\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\{"etcdserver":"3\.4\.0","etcdcluster":"3\.4\.0"\}$/);
});

test('the separate metrics listener still answers on its own port', async () => {
  const saturn = await startLocalEtcd({}, { http: { host: '127.0.0.1', port: 0 } });
  try {
    assert.notEqual(saturn.server.httpPort, null);
    assert.notEqual(saturn.server.httpPort, saturn.server.port);
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${saturn.server.httpPort}/health`)).json(), { health: 'true' });
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${saturn.server.port}/health`)).json(), { health: 'true' });
  } finally {
    await saturn.close();
  }
});
