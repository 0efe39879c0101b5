// A lean gRPC server: the methods of proto-loader service definitions,
// served over the HTTP/2 sessions of src/net/h2-session.ts. It replaces
// grpc-js's server, whose per-call machinery (Node's HTTP/2 streams,
// interceptors, metadata objects, a timer per deadline) cost a busy member
// more than everything behind the API. It does what etcd's clients use:
// unary, server-streaming and bidirectional calls, grpc-timeout, status
// trailers, a receive size limit and backpressure; messages use the
// identity encoding only.
//
// Deadlines are checked by one sweep every deadlineSweepMs while any call
// has one, instead of a timer per call: a deadline fires at most that late,
// and the client enforces its own deadline anyway.

import { status } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/proto-loader';
import { H2Session, defaultH2SessionLimits, type H2Application, type H2SessionLimits, type H2Sink, type H2Stream } from '../../../net/h2-session.js';
import type { HeaderField } from '../../../net/hpack-tables.js';
import type { Clock } from '../../../runtime/clock.js';
import type { Logger } from '../../../runtime/logger.js';
import type { TimerHandle, Timers } from '../../../runtime/timers.js';
import { parseGrpcTimeoutMs, statusBlock } from './grpc-wire.js';
import { ServerCall, type CallHost, type GrpcMethod } from './server-call.js';

export interface GrpcServerLimits {
  readonly maxReceiveMessageBytes: number;
  /** A streaming call's write() returns false beyond this many unsent bytes. */
  readonly sendHighWaterBytes: number;
  readonly deadlineSweepMs: number;
  readonly session: H2SessionLimits;
}

export const defaultGrpcServerLimits: GrpcServerLimits = {
  maxReceiveMessageBytes: 4 * 1024 * 1024,
  sendHighWaterBytes: 64 * 1024,
  deadlineSweepMs: 50,
  session: defaultH2SessionLimits,
};

export interface GrpcServerOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly limits?: Partial<GrpcServerLimits>;
}

type Implementation = Record<string, unknown>;

export class GrpcServer {
  readonly limits: GrpcServerLimits;
  private readonly methods = new Map<string, GrpcMethod>();
  private readonly sessions = new Set<H2Session>();
  private readonly timed = new Set<ServerCall>();
  private sweep: TimerHandle | null = null;
  private closed = false;
  /** Calls started since the server did, for /metrics. */
  callsStarted = 0;

  constructor(private readonly options: GrpcServerOptions) {
    this.limits = { ...defaultGrpcServerLimits, ...options.limits };
  }

  /** Serves every method of a proto-loader service definition the implementation has a handler for (by name, as grpc-js). */
  addService(definition: ServiceDefinition, implementation: Implementation): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name] ?? implementation[method.originalName ?? ''];
      if (typeof handler !== 'function') continue;
      this.methods.set(method.path, {
        path: method.path,
        requestStream: method.requestStream,
        responseStream: method.responseStream,
        deserialize: method.requestDeserialize as (bytes: Buffer) => unknown,
        serialize: method.responseSerialize as (message: unknown) => Buffer,
        handler: handler as GrpcMethod['handler'],
      });
    }
  }

  /** A new connection's session; the caller feeds it the client's bytes and tells it when the transport closes. */
  openSession(sink: H2Sink): H2Session {
    const app = new SessionApp(this);
    const session = new H2Session(this.limits.session, sink, app);
    app.session = session;
    if (this.closed) {
      session.close('the server is shutting down');
      return session;
    }
    this.sessions.add(session);
    session.start();
    return session;
  }

  /** Ends every connection; calls in progress are cancelled. */
  close(): void {
    this.closed = true;
    for (const session of [...this.sessions]) session.close('the server is shutting down');
    this.sessions.clear();
    if (this.sweep !== null) this.options.timers.cancel(this.sweep);
    this.sweep = null;
  }

  // ---- for the sessions ----

  method(path: string): GrpcMethod | undefined {
    return this.methods.get(path);
  }

  nowMs(): number {
    return this.options.clock.monotonicNowMs();
  }

  sessionClosed(session: H2Session): void {
    this.sessions.delete(session);
  }

  track(call: ServerCall): void {
    this.timed.add(call);
    if (this.sweep === null && !this.closed) this.sweep = this.options.timers.schedule(this.limits.deadlineSweepMs, this.sweepDeadlines);
  }

  untrack(call: ServerCall): void {
    this.timed.delete(call);
  }

  handlerThrew(call: ServerCall, error: unknown): void {
    this.options.logger.error({ method: call.method.path, error: String(error) }, 'a gRPC handler threw');
    call.sendStatus(status.INTERNAL, `trellis: internal error: ${error instanceof Error ? error.message : String(error)}`);
  }

  private readonly sweepDeadlines = (): void => {
    this.sweep = null;
    const nowMs = this.nowMs();
    for (const call of [...this.timed]) {
      if (call.deadlineMs === null || call.deadlineMs > nowMs) continue;
      this.timed.delete(call);
      call.expire();
    }
    if (this.timed.size > 0 && !this.closed) this.sweep = this.options.timers.schedule(this.limits.deadlineSweepMs, this.sweepDeadlines);
  };
}

/** One connection's view of the server: turns each request's headers into a call. */
class SessionApp implements H2Application, CallHost {
  session!: H2Session;
  readonly maxReceiveMessageBytes: number;
  readonly sendHighWaterBytes: number;

  constructor(private readonly server: GrpcServer) {
    this.maxReceiveMessageBytes = server.limits.maxReceiveMessageBytes;
    this.sendHighWaterBytes = server.limits.sendHighWaterBytes;
  }

  request(stream: H2Stream, fields: readonly HeaderField[]): void {
    let path: string | undefined;
    let method: string | undefined;
    let contentType: string | undefined;
    let timeout: string | undefined;
    for (const field of fields) {
      switch (field.name) {
        case ':path': path = field.value; break;
        case ':method': method = field.value; break;
        case 'content-type': contentType = field.value; break;
        case 'grpc-timeout': timeout = field.value; break;
      }
    }
    if (method !== 'POST' || contentType === undefined || !contentType.startsWith('application/grpc')) {
      return this.refuse(stream, status.UNIMPLEMENTED, `this port serves gRPC (POST, content-type application/grpc), not ${method ?? 'a request without :method'} ${contentType ?? ''}`.trim());
    }
    const found = path === undefined ? undefined : this.server.method(path);
    if (found === undefined) return this.refuse(stream, status.UNIMPLEMENTED, `The server does not implement the method ${path ?? '(none)'}`);
    const timeoutMs = parseGrpcTimeoutMs(timeout);
    const deadlineMs = timeoutMs === undefined ? null : this.server.nowMs() + timeoutMs;
    this.server.callsStarted++;
    const call = new ServerCall(this, stream, found, deadlineMs);
    if (!stream.closed) stream.listener = call;
    if (deadlineMs !== null && !call.isOver) this.server.track(call);
  }

  closed(_reason: string): void {
    this.server.sessionClosed(this.session);
  }

  finished(call: ServerCall): void {
    if (call.deadlineMs !== null) this.server.untrack(call);
  }

  handlerThrew(call: ServerCall, error: unknown): void {
    this.server.handlerThrew(call, error);
  }

  private refuse(stream: H2Stream, code: number, details: string): void {
    this.session.end(stream, statusBlock(code, details, true));
  }
}
