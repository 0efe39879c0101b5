// etcd's Lease service. LeaseKeepAlive is a bidirectional stream: each
// request names a lease and gets its renewed TTL back (0 when the lease is
// gone, which is how etcd tells a client its lease expired).

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { grpcStatusOf } from '../etcd-errors.js';
import { toWireHeader } from '../kv-translation.js';
import { boolField, int64Field, toWireInt } from '../wire-values.js';
import { requestOf, unary, withDeadline, type ServiceContext, type WireMessage } from './service-context.js';

export function leaseService(context: ServiceContext): UntypedServiceImplementation {
  const { backend } = context;
  return {
    LeaseGrant: unary(context, 'LeaseGrant', async (message) => {
      const ttl = int64Field(message['TTL'], 'TTL');
      // A TTL beyond any safe number is certainly "too large"; the store says so in etcd's words.
      const ttlSeconds = ttl > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(ttl < 0n ? 0n : ttl);
      const { header, body } = await backend.leaseGrant({ id: int64Field(message['ID'], 'ID'), ttlSeconds });
      return { header: toWireHeader(header), ID: toWireInt(body.id), TTL: toWireInt(body.ttlSeconds), error: '' };
    }),
    LeaseRevoke: unary(context, 'LeaseRevoke', async (message) => {
      const { header } = await backend.leaseRevoke(int64Field(message['ID'], 'ID'));
      return { header: toWireHeader(header) };
    }),
    LeaseTimeToLive: unary(context, 'LeaseTimeToLive', async (message) => {
      const { header, body } = await backend.leaseTimeToLive(int64Field(message['ID'], 'ID'), boolField(message['keys'], 'keys'));
      return {
        header: toWireHeader(header),
        ID: toWireInt(body.id),
        TTL: toWireInt(body.ttlSeconds),
        grantedTTL: toWireInt(body.grantedTtlSeconds),
        keys: [...body.keys],
      };
    }),
    LeaseLeases: unary(context, 'LeaseLeases', async () => {
      const { header, body } = await backend.leaseLeases();
      return { header: toWireHeader(header), leases: body.map((id) => ({ ID: toWireInt(id) })) };
    }),
    LeaseKeepAlive: (call: ServerDuplexStream<WireMessage, WireMessage>) => keepAliveStream(context, call),
  };
}

function keepAliveStream(context: ServiceContext, call: ServerDuplexStream<WireMessage, WireMessage>): void {
  let inflight = 0;
  let done = false;
  let clientEnded = false;
  // Answers still owed when the client half-closes are sent before the stream ends.
  const endIfDrained = (): void => {
    if (done || !clientEnded || inflight > 0) return;
    done = true;
    call.end();
  };
  const fail = (error: unknown): void => {
    if (done) return;
    done = true;
    const { code, details } = grpcStatusOf(error);
    call.emit('error', { code, details, message: details, name: 'EtcdError' });
  };
  call.on('data', (request: unknown) => {
    if (done) return;
    if (inflight >= context.maxKeepAliveInflight) {
      done = true;
      call.emit('error', {
        code: status.RESOURCE_EXHAUSTED,
        details: `etcdserver: more than ${context.maxKeepAliveInflight} keep-alives unanswered on one stream: wait for answers before sending more`,
      });
      return;
    }
    inflight++;
    withDeadline(context, async () => context.backend.leaseKeepAlive(int64Field(requestOf({ request }).ID, 'ID'))).then(
      ({ header, body }) => {
        inflight--;
        if (done || call.cancelled) return;
        call.write({ header: toWireHeader(header), ID: toWireInt(body.id), TTL: toWireInt(body.ttlSeconds) });
        endIfDrained();
      },
      (error: unknown) => {
        inflight--;
        fail(error);
      },
    );
  });
  call.on('end', () => {
    clientEnded = true;
    endIfDrained();
  });
  call.on('error', () => {
    done = true;
  });
  call.on('cancelled', () => {
    done = true;
  });
}
