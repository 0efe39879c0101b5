// The client port's front under clients that misbehave or linger: garbage,
// silence, an HTTP/2 client that never acknowledges SETTINGS, one that
// connects and waits; and its own lifecycle: close() ends every connection
// whatever stage it is at, and a port already taken is named.

import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { etcdServices } from '../../src/api/etcd/proto.js';
import { FrameFlag, FrameType, concatBytes, encodeFrame } from '../../src/net/hpack-frames.js';
import { startEtcdServer } from '../../src/api/etcd/server.js';
import { closed, grpcCall, rawConnection } from './client-port-wire.js';
import { startLocalEtcd, type LocalEtcd } from './local-etcd.js';
import { WireClient } from '../net/hpack-wire.js';

let etcd: LocalEtcd;

before(async () => {
  // Short deadlines so that the silent clients are dropped quickly.
  etcd = await startLocalEtcd({}, { clientPortLimits: { protocolGuessTimeoutMs: 300, firstRequestTimeoutMs: 300 } });
});

after(async () => {
  await etcd.close();
});

test('garbage, silence and an HTTP/2 client that never acknowledges are disconnected, and alice still puts', async () => {
  const alice = new Etcd3({ hosts: etcd.address });
  try {
    await alice.put('london').value('3');
    const dropped = etcd.server.clientPortCounters.dropped;
    const garbage = await rawConnection(etcd.server.port);
    const garbageClosed = closed(garbage, 2_000, 'the garbage connection');
    garbage.write('\x16\x03\x01\x02\x00hello, is this TLS?');
    const silent = await rawConnection(etcd.server.port);
    const silentClosed = closed(silent, 5_000, 'the silent connection');
    const unacknowledging = await rawConnection(etcd.server.port);
    const unacknowledgingClosed = closed(unacknowledging, 5_000, 'the unacknowledging connection');
    unacknowledging.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00');
    await Promise.all([garbageClosed, silentClosed, unacknowledgingClosed]);
    assert.equal(etcd.server.clientPortCounters.dropped, dropped + 3);
    await alice.put('london').value('4');
    assert.equal(await alice.get('london').string(), '4');
  } finally {
    alice.close();
  }
});

test('a rewritten connection that turns to garbage is closed alone; alice still puts', async () => {
  const alice = new Etcd3({ hosts: etcd.address });
  try {
    await alice.put('philadelphia').value('7');
    const rewritten = etcd.server.clientPortCounters.http2Rewritten;
    const mallory = new WireClient();
    const socket = await rawConnection(etcd.server.port);
    const gone = closed(socket, 5_000, 'the garbled connection');
    socket.write(concatBytes([mallory.preface(), mallory.settings(), mallory.settingsAck()]));
    socket.write(mallory.headers(1, [
      { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
      { name: ':authority', value: `http://127.0.0.1:${etcd.server.port}` }, { name: 'content-type', value: 'application/grpc' },
    ]));
    for (let i = 0; i < 100 && etcd.server.clientPortCounters.http2Rewritten === rewritten; i++) await sleep(20);
    assert.equal(etcd.server.clientPortCounters.http2Rewritten, rewritten + 1);
    socket.write(encodeFrame(FrameType.continuation, FrameFlag.endHeaders, 7, Uint8Array.of(0x82)));
    await gone;
    await alice.put('philadelphia').value('8');
    assert.equal(await alice.get('philadelphia').string(), '8');
  } finally {
    alice.close();
  }
});

test('an HTTP/2 connection that makes no request before the deadline is handed over as it is, and served later', async () => {
  const kv = new (etcdServices().KV)(etcd.address, credentials.createInsecure());
  try {
    const direct = etcd.server.clientPortCounters.http2Direct;
    kv.getChannel().getConnectivityState(true);
    await sleep(800);
    assert.equal(etcd.server.clientPortCounters.http2Direct, direct + 1, 'handed over at the deadline');
    const range = await new Promise<Record<string, unknown>>((resolve, reject) =>
      (kv as unknown as { Range(r: object, cb: (e: Error | null, v: Record<string, unknown>) => void): void }).Range({ key: Buffer.from('pune') }, (e, v) => (e === null ? resolve(v) : reject(e))),
    );
    assert.equal(range['count'], '0');
    assert.equal(etcd.server.clientPortCounters.http2Direct, direct + 1, 'the same connection served the call');
  } finally {
    kv.close();
  }
});

test('close() ends every connection: handed over, rewritten, HTTP/1 and still opening', async () => {
  const neptune = await startLocalEtcd();
  const port = neptune.server.port;
  const direct = grpcCall(port, `127.0.0.1:${port}`, '/etcdserverpb.Watch/Watch', false);
  const rewritten = grpcCall(port, `http://127.0.0.1:${port}`, '/etcdserverpb.Watch/Watch', false);
  const opening = await rawConnection(port);
  const http1 = await rawConnection(port);
  http1.write('GET /health HTTP/1.1\r\nhost: neptune\r\n\r\n');
  await new Promise((resolve) => http1.once('data', resolve));
  for (let i = 0; i < 100 && (neptune.server.clientPortCounters.http2Direct < 1 || neptune.server.clientPortCounters.http2Rewritten < 1); i++) await sleep(20);
  assert.deepEqual(neptune.server.clientPortCounters, { http1: 1, http2Direct: 1, http2Rewritten: 1, dropped: 0 });
  await neptune.close();
  await Promise.all([
    closed(direct.session, 2_000, 'the direct HTTP/2 session'), closed(rewritten.session, 2_000, 'the rewritten HTTP/2 session'),
    closed(opening, 2_000, 'the opening connection'), closed(http1, 2_000, 'the HTTP/1 connection'),
  ]);
  const refused = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
    s.on('connect', () => resolve('connected'));
  });
  assert.equal(refused, 'ECONNREFUSED');
});

test('a client port already in use is named in the error', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const port = (squatter.address() as { port: number }).port;
  try {
    await assert.rejects(
      startEtcdServer({ backend: etcd.backend, listen: { host: '127.0.0.1', port } }),
      new RegExp(`cannot listen for etcd clients on 127\\.0\\.0\\.1:${port}: the address is already in use`),
    );
  } finally {
    squatter.close();
  }
});

