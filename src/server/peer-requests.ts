// Requests one member makes of another outside Raft: a follower asks the
// leader to renew a lease, to tell a lease's remaining time, or to change
// membership, and the leader answers. Only the leader's lessor knows when a
// lease expires and only the leader may propose a config change, so these go
// to it. Each request has a deadline and the table of requests in flight is
// bounded; a lost request or answer fails at its deadline.

import { assert } from '../assert.js';
import type { NodeId } from '../ids.js';
import type { Transport } from '../runtime/transport.js';
import type { Codec } from '../runtime/transport.js';
import { type Completion, ClientError, deadlineExceeded, overloaded } from './client-errors.js';
import { record } from './core-command.js';
import { decodeValue, encodeValue, type PlainValue } from './value-codec.js';

export type PeerMessage =
  | { readonly type: 'request'; readonly id: number; readonly kind: string; readonly body: PlainValue }
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly body: PlainValue }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

export const peerMessageCodec: Codec<PeerMessage> = {
  encode: (message) => encodeValue(message as unknown as PlainValue),
  decode: (bytes) => {
    const body = record(decodeValue(bytes));
    const type = body['type'];
    const id = body['id'];
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new RangeError('peer message id must be an integer');
    if (type === 'request' && typeof body['kind'] === 'string') return { type, id, kind: body['kind'], body: body['body'] };
    if (type === 'response' && body['ok'] === true) return { type, id, ok: true, body: body['body'] };
    if (type === 'response' && body['ok'] === false && typeof body['code'] === 'string' && typeof body['message'] === 'string') {
      return { type, id, ok: false, code: body['code'], message: body['message'] };
    }
    throw new RangeError('malformed peer message');
  },
};

/** A handler answers with a value, or with an error whose code and message reach the caller. */
export type PeerReply = (outcome: { ok: true; value: PlainValue } | { ok: false; code: string; message: string }) => void;
export type PeerHandler = (from: NodeId, kind: string, body: PlainValue, reply: PeerReply) => void;

/** An answer from the other member that says why it refused. */
export class PeerRefusal extends ClientError {
  constructor(readonly peerCode: string, message: string) {
    super('refused', message, true);
  }
}

interface Pending {
  readonly to: NodeId;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly done: Completion<PlainValue>;
}

export interface PeerRequestsOptions {
  readonly transport: Transport<PeerMessage>;
  readonly nowMs: () => number;
  readonly maxPendingRequests: number;
}

export class PeerRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private handler: PeerHandler = (_from, kind, _body, reply) => reply({ ok: false, code: 'unknown-kind', message: `no handler for ${kind}` });

  constructor(private readonly options: PeerRequestsOptions) {
    assert(options.maxPendingRequests > 0, 'maxPendingRequests must be positive');
    options.transport.onReceive((from, message) => this.receive(from, message));
  }

  onRequest(handler: PeerHandler): void {
    this.handler = handler;
  }

  /**
   * Numbers the requests from now on from `firstId`. A restarted member must
   * not reuse its previous life's ids: an answer to a request of that life,
   * still on its way, would be taken for the answer to the new request with
   * the same id. Give each process its own random start.
   */
  numberFrom(firstId: number): void {
    assert(Number.isSafeInteger(firstId) && firstId > 0 && this.pending.size === 0, 'number requests from a positive integer, before the first one');
    this.nextId = firstId;
  }

  request(to: NodeId, kind: string, body: PlainValue, timeoutMs: number, done: Completion<PlainValue>): void {
    if (this.pending.size >= this.options.maxPendingRequests) {
      done({ ok: false, error: overloaded('requests to other members', this.options.maxPendingRequests) });
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, { to, deadlineMs: this.options.nowMs() + timeoutMs, timeoutMs, done });
    this.options.transport.send(to, { type: 'request', id, kind, body });
  }

  /** Fails requests past their deadline; call it now and then (the node calls it every tick). */
  expire(nowMs: number): void {
    for (const [id, pending] of this.pending) {
      if (pending.deadlineMs > nowMs) continue;
      this.pending.delete(id);
      pending.done({ ok: false, error: deadlineExceeded(pending.timeoutMs, false) });
    }
  }

  failAll(error: ClientError): void {
    for (const pending of this.pending.values()) pending.done({ ok: false, error });
    this.pending.clear();
  }

  private receive(from: NodeId, message: PeerMessage): void {
    if (message.type === 'request') {
      this.handler(from, message.kind, message.body, (outcome) => {
        const response: PeerMessage = outcome.ok
          ? { type: 'response', id: message.id, ok: true, body: outcome.value }
          : { type: 'response', id: message.id, ok: false, code: outcome.code, message: outcome.message };
        this.options.transport.send(from, response);
      });
      return;
    }
    const pending = this.pending.get(message.id);
    // Only the member asked may answer.
    if (pending === undefined || pending.to !== from) return;
    this.pending.delete(message.id);
    pending.done(message.ok ? { ok: true, value: message.body } : { ok: false, error: new PeerRefusal(message.code, message.message) });
  }
}
