// The front on its own, in front of a bare node:http2 server and a capture
// of what it hands over: a clean request is served on the client's socket
// itself (nothing of the front left on the path), a refused authority through
// the rewriting stream with the authority mended, and HTTP/1 as a socket
// with its first bytes put back.

import assert from 'node:assert/strict';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createHttpServer } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { openClientPort, type ClientPort } from '../../src/runtime/node/client-port.js';
import { RewritingDuplex } from '../../src/runtime/node/client-port-duplex.js';
import { grpcCall } from './client-port-wire.js';

let front: ClientPort;
let h2: Http2Server;
const handedOver: { kind: 'http1' | 'http2'; connection: Duplex; frontDataListeners: number }[] = [];
const authoritiesSeen: string[] = [];

before(async () => {
  h2 = createHttp2Server();
  h2.on('stream', (stream, headers) => {
    authoritiesSeen.push(String(headers[':authority']));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end();
  });
  const http1 = createHttpServer((request, response) => response.end(`you asked for ${request.url}`));
  front = await openClientPort({
    host: '127.0.0.1', port: 0,
    routes: {
      http1: (socket) => {
        handedOver.push({ kind: 'http1', connection: socket, frontDataListeners: socket.listenerCount('data') });
        http1.emit('connection', socket);
      },
      http2: (connection) => {
        handedOver.push({ kind: 'http2', connection, frontDataListeners: connection.listenerCount('data') });
        h2.emit('connection', connection);
      },
    },
  });
});

after(async () => {
  await front.close();
  h2.close();
});

test('a clean request is served on the client\'s own socket, the front no longer reading it', async () => {
  const call = grpcCall(front.port, 'pune:2379', '/etcdserverpb.KV/Range');
  try {
    assert.deepEqual(await call.outcome, { status: '200', grpcStatus: '0', rstCode: 0 });
  } finally {
    call.session.close();
  }
  const last = handedOver.at(-1)!;
  assert.equal(last.kind, 'http2');
  assert.ok(last.connection instanceof Socket, 'the socket itself');
  assert.equal(last.frontDataListeners, 0, 'the front stopped listening before handing it over');
  assert.equal(authoritiesSeen.at(-1), 'pune:2379');
});

test('a refused authority goes through the rewriter, and the server sees its host:port', async () => {
  const call = grpcCall(front.port, `http://127.0.0.1:${front.port}`, '/etcdserverpb.Maintenance/Status');
  try {
    assert.deepEqual(await call.outcome, { status: '200', grpcStatus: '0', rstCode: 0 });
  } finally {
    call.session.close();
  }
  const last = handedOver.at(-1)!;
  assert.ok(last.connection instanceof RewritingDuplex);
  assert.equal(authoritiesSeen.at(-1), `127.0.0.1:${front.port}`);
  assert.deepEqual(front.counters, { http1: 0, http2Direct: 1, http2Rewritten: 1, dropped: 0 });
});

test('HTTP/1 is handed over as the socket with its first bytes put back', async () => {
  const response = await fetch(`http://127.0.0.1:${front.port}/metrics?boston=10`);
  assert.equal(await response.text(), 'you asked for /metrics?boston=10');
  const last = handedOver.at(-1)!;
  assert.equal(last.kind, 'http1');
  assert.ok(last.connection instanceof Socket);
  assert.equal(last.frontDataListeners, 0);
});
