// What every etcd service handler needs, and the one way unary calls run:
// translate, call the backend under a deadline, translate back, and turn
// every failure into etcd's status. A handler never throws into grpc-js and
// never answers twice.

import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../../../runtime/logger.js';
import type { Timers } from '../../../runtime/timers.js';
import type { EtcdBackend } from '../backend.js';
import { EtcdError, etcdMessages, grpcStatusOf } from '../etcd-errors.js';

export type WireMessage = Record<string, unknown>;

export interface ServiceContext {
  readonly backend: EtcdBackend;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Longest a request may wait for the backend; etcd's is 5 s plus two election timeouts. */
  readonly requestTimeoutMs: number;
  readonly maxTxnOps: number;
  /** Requests a lease keep-alive stream may have unanswered before it is closed. */
  readonly maxKeepAliveInflight: number;
}

export type UnaryHandler = (call: ServerUnaryCall<WireMessage, WireMessage>, callback: sendUnaryData<WireMessage>) => void;

/** A request as proto-loader decoded it: always an object, but nothing inside is trusted. */
export function requestOf(call: { request: unknown }): WireMessage {
  const request = call.request;
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw EtcdError.invalidArgument('request is not a message');
  return request as WireMessage;
}

/** Races work against the request deadline; the loser's outcome is ignored. */
export function withDeadline<T>(context: ServiceContext, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = context.timers.schedule(context.requestTimeoutMs, () => {
      if (settled) return;
      settled = true;
      // etcd answers a proposal that outlives its deadline with UNAVAILABLE.
      reject(new EtcdError('Unavailable', etcdMessages.requestTimeout));
    });
    const finish = (body: () => void): void => {
      if (settled) return;
      settled = true;
      context.timers.cancel(timer);
      body();
    };
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      finish(() => reject(error));
      return;
    }
    pending.then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
  });
}

/** A handler's answer: a wire object for proto-loader to encode, or bytes already encoded (response-codec.ts). */
export type WireAnswer = WireMessage | Uint8Array;

export function unary(context: ServiceContext, method: string, body: (request: WireMessage) => Promise<WireAnswer>): UnaryHandler {
  return (call, callback) => {
    withDeadline(context, () => body(requestOf(call))).then(
      (response) => callback(null, response as WireMessage),
      (error: unknown) => {
        const { code, details } = grpcStatusOf(error);
        if (!(error instanceof EtcdError) && !(error instanceof Error && error.name === 'KvError')) {
          context.logger.error({ method, error: String(error) }, 'etcd API handler failed unexpectedly');
        }
        callback({ code, details, name: 'EtcdError', message: details });
      },
    );
  };
}
