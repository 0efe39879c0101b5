// Bad input never hurts the server: every gRPC method is fed bytes that are
// not a protobuf at all, and well-formed messages with values anywhere in
// their types' ranges. Each call must end with a status (never a hang, never
// an internal error from a handler), and afterwards alice can still put and
// get. Oversized and overlong requests get etcd's own errors. The member is a
// real CoreNode behind the RaftBackend (raft-etcd.ts). handler-fuzz.test.ts
// runs ten thousand cases per method against the same handlers without the
// sockets; this file proves the socket path with fewer.
// TRELLIS_FUZZ_RUNS sets the cases per method (default 200; npm run soak:fuzz runs more).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { etcdPackageDefinition } from '../../src/api/etcd/proto.js';
import { messageArbitrary } from './proto-arbitrary.js';
import { assertAnswered as assertAnsweredBy, tidyAfterFuzzing, type Outcome } from './fuzz-checks.js';
import { startRaftEtcd, type RaftEtcd } from './raft-etcd.js';

const runs = Number(process.env['TRELLIS_FUZZ_RUNS'] ?? 200);
/** A liveness bound, not a performance one: a call still open after this long is a hang. */
const hangLimitMs = 30_000;

type AnyMethod = MethodDefinition<object, object>;

let etcd: RaftEtcd;
let raw: Client;
const definition: PackageDefinition = etcdPackageDefinition();
const methods: [string, AnyMethod][] = [];
for (const [name, entry] of Object.entries(definition)) {
  if (!name.startsWith('etcdserverpb.') || 'type' in entry || 'format' in entry) continue;
  for (const [methodName, method] of Object.entries(entry as ServiceDefinition)) methods.push([`${name.slice(13)}.${methodName}`, method as AnyMethod]);
}

before(async () => {
  etcd = await startRaftEtcd();
  raw = new Client(etcd.address, credentials.createInsecure());
});

after(async () => {
  raw.close();
  await etcd.close();
});


const identity = (bytes: Buffer): Buffer => bytes;

/** Sends bytes as the whole request (or the only stream message) and waits for the final status. */
function call(method: AnyMethod, bytes: Buffer): Promise<Outcome> {
  const options = { deadline: Date.now() + hangLimitMs };
  return new Promise((resolve) => {
    const done = (error: ServiceError | null): void => resolve({ code: error?.code ?? status.OK, details: error?.details ?? '' });
    if (!method.requestStream && !method.responseStream) {
      raw.makeUnaryRequest(method.path, identity, identity, bytes, new Metadata(), options, (error) => done(error));
      return;
    }
    const duplex = method.requestStream ? raw.makeBidiStreamRequest(method.path, identity, identity, new Metadata(), options) : null;
    const stream = duplex ?? raw.makeServerStreamRequest(method.path, identity, identity, bytes, new Metadata(), options);
    stream.on('data', () => {});
    stream.on('error', (error: ServiceError) => done(error));
    stream.on('status', (s: { code: status; details: string }) => {
      if (s.code === status.OK) done(null);
    });
    if (duplex !== null) {
      duplex.write(bytes);
      duplex.end();
    }
  });
}

function assertAnswered(name: string, outcome: Outcome, allowDecodeFailure: boolean): void {
  assertAnsweredBy(etcd, name, outcome, allowDecodeFailure);
}

async function aliceCanStillWrite(): Promise<void> {
  await tidyAfterFuzzing(etcd);
  const put = methodNamed('KV.Put');
  const outcome = await call(put, put.requestSerialize({ key: Buffer.from('boston'), value: Buffer.from('10') }));
  assert.equal(outcome.code, status.OK, outcome.details);
  const range = await etcd.backend.range({ key: Buffer.from('boston') }, { serializable: true });
  assert.equal(Buffer.from(range.body.kvs[0]!.value).toString(), '10');
}

function methodNamed(name: string): AnyMethod {
  const found = methods.find(([n]) => n === name);
  assert.ok(found !== undefined, `no method ${name}`);
  return found[1];
}

test('every method answers bytes that are not a protobuf with a status, and the server keeps serving', async () => {
  for (const [name, method] of methods) {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        assertAnswered(name, await call(method, Buffer.from(bytes)), true);
      }),
      { numRuns: runs },
    );
    await aliceCanStillWrite();
  }
});

test('every method answers well-formed messages with any field values with a status, and the server keeps serving', async () => {
  for (const [name, method] of methods) {
    const arbitrary = messageArbitrary(definition, method.requestType);
    await fc.assert(
      fc.asyncProperty(arbitrary, async (message) => {
        assertAnswered(name, await call(method, method.requestSerialize(message)), false);
      }),
      { numRuns: runs },
    );
    await aliceCanStillWrite();
  }
});

test('a put over --max-request-bytes gets etcd\'s "request is too large", and changes nothing', async () => {
  const put = methodNamed('KV.Put');
  const outcome = await call(put, put.requestSerialize({ key: Buffer.from('pune'), value: Buffer.alloc(1_600_000, 1) }));
  assert.deepEqual(outcome, { code: status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' });
  assert.equal((await etcd.backend.range({ key: Buffer.from('pune') }, { serializable: true })).body.count, 0);
});

test('a message beyond the gRPC receive limit is refused by the transport with RESOURCE_EXHAUSTED', async () => {
  const put = methodNamed('KV.Put');
  const outcome = await call(put, put.requestSerialize({ key: Buffer.from('pune'), value: Buffer.alloc(2_200_000, 1) }));
  assert.equal(outcome.code, status.RESOURCE_EXHAUSTED);
});

test('a txn with more than 128 operations gets etcd\'s "too many operations"', async () => {
  const txn = methodNamed('KV.Txn');
  const success = Array.from({ length: 129 }, (_, i) => ({ request_put: { key: Buffer.from(`london/${i}`), value: Buffer.from('3') } }));
  const outcome = await call(txn, txn.requestSerialize({ success }));
  assert.deepEqual(outcome, { code: status.INVALID_ARGUMENT, details: 'etcdserver: too many operations in txn request' });
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

test('a txn nested beyond the decoder\'s depth limit is refused and writes nothing', async () => {
  const txn = methodNamed('KV.Txn');
  const put = methodNamed('KV.Put');
  // Encoded by hand: protobufjs itself refuses to build messages this deep.
  const field = (number: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([(number << 3) | 2]), varint(body.length), body]);
  let nested = field(2, field(2, put.requestSerialize({ key: Buffer.from('deep'), value: Buffer.from('1') })));
  for (let depth = 0; depth < 90; depth++) nested = field(2, field(4, nested));
  const outcome = await call(txn, nested);
  assert.notEqual(outcome.code, status.OK);
  assert.ok(outcome.details.length > 0);
  assert.equal((await etcd.backend.range({ key: Buffer.from('deep') }, { serializable: true })).body.count, 0);
});
