// One gRPC call on the lean server, in the shape grpc-js gives its handlers
// (call.request, write, end, the 'data', 'end', 'error', 'cancelled',
// 'drain' and 'close' events, emit('error', status), cancelled), so the
// etcd service handlers run unchanged on either server. It is also the
// stream's listener: request bytes arrive here, are cut into messages and
// decoded, and the handler is called when it has what it needs (a unary or
// server-streaming handler once the one request message is complete, a
// streaming one at once).

import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import type { H2Session, H2Stream, H2StreamListener } from '../../../net/h2-session.js';
import { MessageReader, frameMessage, okTrailersBlock, responseHeadersBlock, statusBlock, type ReadOutcome } from './grpc-wire.js';

export interface GrpcMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (message: unknown) => Buffer;
  /** grpc-js's handler shapes: (call, callback) for unary and client streaming, (call) otherwise. */
  readonly handler: (call: never, callback: never) => void;
}

/** What a call needs from the server around it. */
export interface CallHost {
  readonly session: H2Session;
  readonly maxReceiveMessageBytes: number;
  /** write() returns false once this many bytes wait to be sent on the call. */
  readonly sendHighWaterBytes: number;
  /** The call is over (status sent, or cancelled): the host stops tracking its deadline. */
  finished(call: ServerCall): void;
  /** A handler threw; the call fails with INTERNAL and the host logs it. */
  handlerThrew(call: ServerCall, error: unknown): void;
}

export interface StatusLike {
  readonly code?: number;
  readonly details?: string;
  readonly message?: string;
}

export class ServerCall extends EventEmitter implements H2StreamListener {
  /** The request message of a unary or server-streaming call. */
  request: unknown = undefined;
  cancelled = false;
  private statusSent = false;
  private needsDrain = false;
  private started = false;
  private received = 0;
  private readonly reader: MessageReader;

  constructor(private readonly host: CallHost, readonly stream: H2Stream, readonly method: GrpcMethod, readonly deadlineMs: number | null) {
    super();
    this.reader = new MessageReader(host.maxReceiveMessageBytes);
    // As in grpc-js: a handler emitting 'error' on its call ends the call with that status.
    this.on('error', (error: StatusLike) => this.sendStatus(error.code ?? status.UNKNOWN, error.details ?? error.message ?? ''));
    if (method.requestStream) this.startHandler();
  }

  /** The call has its status, or was cancelled: nothing more happens on it. */
  get isOver(): boolean {
    return this.statusSent || this.cancelled;
  }

  getPeer(): string {
    return 'unknown';
  }

  /** Sends a response message; false once the call holds more than the high-water mark (wait for 'drain'). */
  write(message: unknown): boolean {
    if (this.statusSent || this.cancelled) return false;
    let bytes: Buffer;
    try {
      bytes = this.method.serialize(message);
    } catch (error) {
      this.sendStatus(status.INTERNAL, `trellis: internal error: the response does not serialize: ${(error as Error).message}`);
      return false;
    }
    const session = this.host.session;
    session.sendHeaders(this.stream, responseHeadersBlock);
    session.sendData(this.stream, frameMessage(bytes));
    if (session.queuedBytes(this.stream) < this.host.sendHighWaterBytes) return true;
    this.needsDrain = true;
    return false;
  }

  /** Ends the call with OK. */
  end(): void {
    this.sendStatus(status.OK, '');
  }

  sendStatus(code: number, details: string): void {
    if (this.statusSent || this.cancelled) return;
    this.statusSent = true;
    const block = code === status.OK && this.stream.headersSent ? okTrailersBlock : statusBlock(code, details, !this.stream.headersSent);
    this.host.session.end(this.stream, block);
    this.finish();
  }

  /** The callback a unary (or client-streaming) handler answers through. */
  private readonly answer = (error: StatusLike | null, response?: unknown): void => {
    if (this.statusSent || this.cancelled) return;
    if (error !== null && error !== undefined) return this.sendStatus(error.code ?? status.UNKNOWN, error.details ?? error.message ?? '');
    let bytes: Buffer;
    try {
      bytes = this.method.serialize(response);
    } catch (problem) {
      return this.sendStatus(status.INTERNAL, `trellis: internal error: the response does not serialize: ${(problem as Error).message}`);
    }
    this.statusSent = true;
    this.host.session.respond(this.stream, responseHeadersBlock, frameMessage(bytes), okTrailersBlock);
    this.finish();
  };

  // ---- the stream's side (H2StreamListener) ----

  onData(bytes: Uint8Array): void {
    if (this.statusSent || this.cancelled) return;
    this.reader.push(bytes, this.onMessage);
  }

  /** The client half-closed: a streaming handler hears 'end'; any other call now has its one message, or fails. */
  onEnd(): void {
    if (this.statusSent || this.cancelled) return;
    if (!this.reader.atBoundary) return this.sendStatus(status.INTERNAL, 'the request ended in the middle of a message');
    if (this.method.requestStream) {
      this.emit('end');
      return;
    }
    if (this.received === 0) return this.sendStatus(status.INTERNAL, `${this.method.path} needs one request message, and none came`);
    this.startHandler();
  }

  onReset(_code: number): void {
    if (this.statusSent || this.cancelled) return;
    this.cancel();
  }

  onDrained(): void {
    if (!this.needsDrain || this.statusSent || this.cancelled) return;
    this.needsDrain = false;
    this.emit('drain');
  }

  /** The deadline passed: the client hears DEADLINE_EXCEEDED and the handler 'cancelled'. */
  expire(): void {
    if (this.statusSent || this.cancelled) return;
    this.sendStatus(status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    this.cancelled = true;
    this.emit('cancelled');
  }

  private cancel(): void {
    this.cancelled = true;
    this.finish();
    this.emit('cancelled');
  }

  private finish(): void {
    this.host.finished(this);
    this.emit('close');
  }

  private readonly onMessage = (outcome: ReadOutcome): boolean => {
    if (outcome.kind === 'too-large') {
      this.sendStatus(status.RESOURCE_EXHAUSTED, `Received message larger than max (${outcome.length} vs. ${this.host.maxReceiveMessageBytes})`);
      return false;
    }
    if (outcome.kind === 'compressed') {
      this.sendStatus(status.UNIMPLEMENTED, 'compressed messages are not supported: send them with the identity encoding');
      return false;
    }
    let message: unknown;
    try {
      message = this.method.deserialize(outcome.bytes);
    } catch (error) {
      this.sendStatus(status.INTERNAL, `Error deserializing request: ${(error as Error).message}`);
      return false;
    }
    this.received++;
    if (this.method.requestStream) {
      this.emit('data', message);
      return !this.statusSent && !this.cancelled;
    }
    if (this.received > 1) {
      this.sendStatus(status.UNIMPLEMENTED, `${this.method.path} takes one request message, and a second one came`);
      return false;
    }
    this.request = message;
    return true;
  };

  private startHandler(): void {
    if (this.started) return;
    this.started = true;
    try {
      const handler = this.method.handler as (call: ServerCall, callback?: (error: StatusLike | null, response?: unknown) => void) => void;
      if (this.method.responseStream) handler(this);
      else handler(this, this.answer);
    } catch (error) {
      this.host.handlerThrew(this, error);
    }
  }
}
