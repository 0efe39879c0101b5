// Bad input, many times over: every etcd gRPC method of a real Trellis member
// (CoreNode, RaftBackend, the same service handlers the server mounts) is fed
// 10,000 byte strings that are not protobufs and 10,000 well-formed messages
// with values anywhere in their types' ranges, decoded by the method's own
// deserializer exactly as grpc-js does before it calls a handler. The calls
// skip the HTTP/2 hop (bad-input.test.ts covers that path with real sockets),
// which is what makes ten thousand cases per method affordable in CI. Every
// call must end with an answer or a status carrying a message, never a hang or
// an internal error; afterwards alice still writes and reads.
// TRELLIS_HANDLER_FUZZ_RUNS sets the cases per method and property (default 10000).

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { status } from '@grpc/grpc-js';
import type { MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { etcdPackageDefinition } from '../../src/api/etcd/proto.js';
import { authService } from '../../src/api/etcd/services/auth-service.js';
import { clusterService } from '../../src/api/etcd/services/cluster-service.js';
import { kvService } from '../../src/api/etcd/services/kv-service.js';
import { leaseService } from '../../src/api/etcd/services/lease-service.js';
import { maintenanceService } from '../../src/api/etcd/services/maintenance-service.js';
import type { ServiceContext } from '../../src/api/etcd/services/service-context.js';
import { watchService } from '../../src/api/etcd/services/watch-service.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { SystemTimers } from '../../src/runtime/node/system-clock.js';
import { messageArbitrary } from './proto-arbitrary.js';
import { assertAnswered as assertAnsweredBy, tidyAfterFuzzing, type Outcome } from './fuzz-checks.js';
import { startRaftEtcd, type RaftEtcd } from './raft-etcd.js';

const runs = Number(process.env['TRELLIS_HANDLER_FUZZ_RUNS'] ?? 10_000);
/** A liveness bound, not a performance one: a call still open after this long is a hang. */
const hangLimitMs = 20_000;

type AnyMethod = MethodDefinition<object, object>;
type Handler = (call: unknown, callback?: (error: unknown, response?: unknown) => void) => void;

let etcd: RaftEtcd;
let handlers: Map<string, Handler>;
const definition: PackageDefinition = etcdPackageDefinition();
const methods: [string, AnyMethod][] = [];
for (const [name, entry] of Object.entries(definition)) {
  if (!name.startsWith('etcdserverpb.') || 'type' in entry || 'format' in entry) continue;
  for (const [methodName, method] of Object.entries(entry as ServiceDefinition)) methods.push([`${name.slice(13)}.${methodName}`, method as AnyMethod]);
}

before(async () => {
  etcd = await startRaftEtcd();
  const context: ServiceContext = {
    backend: etcd.backend, timers: new SystemTimers(), logger: silentLogger, requestTimeoutMs: 5_000, maxTxnOps: 128, maxKeepAliveInflight: 1_000,
  };
  handlers = new Map();
  const services = { KV: kvService(context), Watch: watchService(context), Lease: leaseService(context), Cluster: clusterService(context), Maintenance: maintenanceService(context), Auth: authService(context) };
  for (const [service, implementation] of Object.entries(services)) {
    for (const [method, handler] of Object.entries(implementation)) handlers.set(`${service}.${method}`, handler as Handler);
  }
});

after(async () => {
  await etcd.close();
});


/** A server call as the handlers see it: the request (unary and server streaming) or 'data' events (client streaming). */
class FakeCall extends EventEmitter {
  cancelled = false;
  constructor(readonly request: unknown) {
    super();
  }
  write(): boolean {
    return true;
  }
  end(): void {
    this.emit('test-finished', { code: status.OK, details: '' });
  }
}

/** Decodes as grpc-js would (a failure is grpc-js's INTERNAL answer, never a handler's), then calls the handler and waits for its end. */
function invoke(name: string, method: AnyMethod, bytes: Buffer): Promise<Outcome> {
  let request: unknown;
  try {
    request = method.requestDeserialize(bytes);
  } catch (error) {
    return Promise.resolve({ code: status.INTERNAL, details: `decoding failed: ${(error as Error).message}` });
  }
  const handler = handlers.get(name);
  // A method the server does not mount (newer etcd's Downgrade, say) is answered by grpc-js itself.
  if (handler === undefined) return Promise.resolve({ code: status.UNIMPLEMENTED, details: `The server does not implement the method ${method.path}` });
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ code: status.DEADLINE_EXCEEDED, details: 'no answer' }), hangLimitMs);
    const finish = (outcome: Outcome): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    if (!method.requestStream && !method.responseStream) {
      handler({ request }, (error: unknown) => {
        const failure = error as { code?: status; details?: string } | null;
        finish(failure === null ? { code: status.OK, details: '' } : { code: failure.code ?? status.UNKNOWN, details: failure.details ?? '' });
      });
      return;
    }
    const call = new FakeCall(method.requestStream ? undefined : request);
    call.on('test-finished', finish);
    call.on('error', (error: { code?: status; details?: string }) => finish({ code: error.code ?? status.UNKNOWN, details: error.details ?? '' }));
    handler(call);
    if (method.requestStream) {
      call.emit('data', request);
      call.emit('end');
    }
  });
}

function assertAnswered(name: string, outcome: Outcome, allowDecodeFailure: boolean): void {
  assertAnsweredBy(etcd, name, outcome, allowDecodeFailure);
}

async function aliceCanStillWrite(): Promise<void> {
  await tidyAfterFuzzing(etcd);
  await etcd.backend.put({ key: Buffer.from('boston'), value: Buffer.from('10') });
  const range = await etcd.backend.range({ key: Buffer.from('boston') }, { serializable: false });
  assert.equal(Buffer.from(range.body.kvs[0]!.value).toString(), '10');
}

test(`every method's handler answers ${runs} byte strings that are not protobufs, and the member keeps serving`, async () => {
  for (const [name, method] of methods) {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        assertAnswered(name, await invoke(name, method, Buffer.from(bytes)), true);
      }),
      { numRuns: runs, includeErrorInReport: true },
    );
    await aliceCanStillWrite();
  }
});

test(`every method's handler answers ${runs} well-formed messages with any field values, and the member keeps serving`, async () => {
  for (const [name, method] of methods) {
    await fc.assert(
      fc.asyncProperty(messageArbitrary(definition, method.requestType), async (message) => {
        assertAnswered(name, await invoke(name, method, method.requestSerialize(message)), false);
      }),
      { numRuns: runs, includeErrorInReport: true },
    );
    await aliceCanStillWrite();
  }
});
