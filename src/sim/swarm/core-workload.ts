// The kv swarm's clients: alice, bob and friends, each one request at a time
// against whichever member they pick, as an etcd client would: puts (some
// with a lease), linearizable and serializable ranges, guarded transactions,
// deletes, lease grants and revokes, and now and then a compaction. Every
// write carries the client's own request id (session = client, sequence
// number), so the Idempotent Receiver applies it once however often members
// resend it, and the ledger can tell whether it applied.
//
// What goes into the linearizability history: every completed range, put,
// delete and txn; writes whose outcome the client never learned, as pending.
// Left out: failures that certainly had no effect (refusals, and the store's
// own errors, which change nothing), and reads that failed. Serializable
// reads are kept apart: they may be stale, so they are checked against the
// committed history instead. Lease grants, revokes and compactions are not
// in the specification; what they do to keys is (see core-ledger.ts).

import type { NodeId } from '../../ids.js';
import type { MvccInput, MvccOutput, Operation, RangeRequest, RangeResponse } from '../../check/index.js';
import type { KvResult } from '../../kv/kv-state-machine.js';
import type { RangeResponse as StoreRangeResponse } from '../../kv/types.js';
import type { KvCommand } from '../../kv/kv-command.js';
import type { Random } from '../../runtime/random.js';
import type { ClientError, Outcome } from '../../server/client-errors.js';
import { CoreError, type CoreOutcome } from '../../server/core-machine.js';
import type { KvResponse } from '../../kv/kv-state-machine.js';
import { clientNames } from './workload.js';
import type { CoreCluster } from './core-cluster.js';
import type { CoreLedger } from './core-ledger.js';
import type { LeaseKeeper } from './core-leases.js';
import { Knowledge, pickKind, planDelete, planRange, planTxn, randomKey } from './core-plans.js';
import { bytes, toKvCommand, toMvccOutput } from './core-requests.js';

export type MvccOperation = Operation<MvccInput, MvccOutput>;

export interface CoreWorkloadOptions {
  readonly clients: number;
  readonly requestTimeoutMs: number;
  /** A client waits this much longer for an answer before giving up on a silent member. */
  readonly clientGraceMs: number;
  readonly maxThinkMs: number;
}

export const defaultCoreWorkloadOptions: CoreWorkloadOptions = { clients: 4, requestTimeoutMs: 2_000, clientGraceMs: 500, maxThinkMs: 200 };

/** A serializable range: at the member's current revision, or at a past one (`atRevision`). */
export interface SerializableRead {
  readonly clientId: string;
  readonly member: NodeId;
  readonly input: RangeRequest;
  readonly atRevision?: number;
  /** The answer, or the store's refusal of a past revision. */
  readonly output: RangeResponse | { readonly refused: 'compacted' | 'future-revision' };
  readonly returnMs: number;
  /** The committed revision and compaction (as far as any member had applied) when the answer came. */
  readonly committedRevision: number;
  readonly committedCompactRevision: number;
}

export interface CoreWorkloadStatistics {
  issued: number;
  succeeded: number;
  refusedByStore: number;
  failedCertainly: number;
  failedUnknown: number;
  timedOut: number;
}

type Answer =
  | { readonly kind: 'ok'; readonly response: KvResponse }
  /** Certainly changed nothing: refused by a node, or by the store itself. */
  | { readonly kind: 'no-effect'; readonly byStore: boolean }
  | { readonly kind: 'unknown' };

export class CoreWorkload {
  readonly history: MvccOperation[] = [];
  /** Writes whose outcome the client never learned, with their request keys. */
  readonly unknownWrites = new Map<MvccOperation, string>();
  /** Request keys of writes a client was told succeeded: each must have applied. */
  readonly acknowledgedWrites = new Set<string>();
  readonly serializableReads: SerializableRead[] = [];
  readonly statistics: CoreWorkloadStatistics = { issued: 0, succeeded: 0, refusedByStore: 0, failedCertainly: 0, failedUnknown: 0, timedOut: 0 };
  readonly knowledge = new Knowledge();
  private running = true;
  private inFlight = 0;
  private readonly nextSeq = new Map<string, number>();
  private readonly preferred = new Map<string, NodeId>();

  constructor(
    private readonly cluster: CoreCluster,
    private readonly members: ReadonlySet<NodeId>,
    private readonly ledger: CoreLedger,
    private readonly leases: LeaseKeeper,
    private readonly random: Random,
    private readonly options: CoreWorkloadOptions = defaultCoreWorkloadOptions,
  ) {}

  start(): void {
    for (let i = 0; i < this.options.clients; i++) {
      const client = clientNames[i % clientNames.length]! + (i >= clientNames.length ? String(i) : '');
      this.after(this.random.nextInt(0, 50), () => this.issue(client));
    }
  }

  stop(): void {
    this.running = false;
  }

  get pending(): number {
    return this.inFlight;
  }

  /** A linearizable read of every key from one member, recorded like any other; `done` says whether it succeeded. */
  readEverything(client: string, member: NodeId, done: (ok: boolean) => void): void {
    const input: RangeRequest = { kind: 'range', key: '\0', rangeEnd: '\0' };
    const callMs = this.cluster.world.nowMs();
    this.read(member, 'linearizable', input, undefined, (result) => {
      if (result === null || !('kind' in result)) return done(false);
      this.history.push({ clientId: client, input, output: result, callMs, returnMs: this.cluster.world.nowMs() });
      done(true);
    });
  }

  private after(delayMs: number, action: () => void): void {
    this.cluster.world.after(delayMs, 'client', action);
  }

  private pickMember(client: string): NodeId | null {
    const members = [...this.members];
    if (members.length === 0) return null;
    const preferred = this.preferred.get(client);
    if (preferred !== undefined && this.members.has(preferred) && !this.random.chance(0.2)) return preferred;
    return members[this.random.nextInt(0, members.length)]!;
  }

  private issue(client: string): void {
    if (!this.running) return;
    const member = this.pickMember(client);
    if (member === null) return this.after(100, () => this.issue(client));
    this.statistics.issued++;
    this.inFlight++;
    const callMs = this.cluster.world.nowMs();
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (ok) this.preferred.set(client, member);
      else this.preferred.delete(client);
      this.after(this.random.nextInt(0, this.options.maxThinkMs), () => this.issue(client));
    };
    // A member that crashed or stays paused never answers: the client gives up on its own clock.
    const giveUp = (onTimeout: () => void): void => this.after(this.options.requestTimeoutMs + this.options.clientGraceMs, () => {
      if (settled) return;
      this.statistics.timedOut++;
      onTimeout();
      finish(false);
    });
    const kind = pickKind(this.random);
    if (kind === 'range' || kind === 'serializable-range') {
      const input = planRange(this.random) as RangeRequest;
      const consistency = kind === 'range' ? 'linearizable' : 'serializable';
      // Some serializable ranges read the past: a revision a little behind the newest any client saw.
      const past = consistency === 'serializable' && this.random.chance(0.4) ? Math.max(1, this.knowledge.newestRevision - this.random.nextInt(0, 60)) : undefined;
      giveUp(() => {});
      this.read(member, consistency, input, past, (answer) => {
        if (settled) return;
        if (answer === null) return finish(false);
        const returnMs = this.cluster.world.nowMs();
        if (consistency === 'linearizable' && 'kind' in answer) this.record({ clientId: client, input, output: answer, callMs, returnMs });
        if (consistency === 'serializable') {
          this.serializableReads.push({
            clientId: client, member, input, ...(past === undefined ? {} : { atRevision: past }), output: answer, returnMs,
            committedRevision: this.ledger.revision, committedCompactRevision: this.ledger.compactRevision,
          });
        }
        finish(true);
      });
      return;
    }
    const seq = (this.nextSeq.get(client) ?? 0) + 1;
    this.nextSeq.set(client, seq);
    const requestKey = `${client}#${seq}`;
    const request = this.planWrite(kind, client, requestKey, callMs);
    giveUp(() => request.unknown?.());
    this.propose(member, request.command, { session: client, seq }, (answer) => {
      if (settled) return;
      if (answer.kind === 'ok') {
        this.statistics.succeeded++;
        const output = toMvccOutput(answer.response);
        if (request.input !== null && output !== null) {
          this.record({ clientId: client, input: request.input, output, callMs, returnMs: this.cluster.world.nowMs() });
          this.acknowledgedWrites.add(requestKey);
        }
        request.succeeded?.();
      } else if (answer.kind === 'no-effect') {
        if (answer.byStore) this.statistics.refusedByStore++;
        else this.statistics.failedCertainly++;
      } else {
        this.statistics.failedUnknown++;
        request.unknown?.();
      }
      finish(answer.kind !== 'unknown');
    });
  }

  /** The request a write kind becomes; `input` null for requests outside the specification (leases, compaction). */
  private planWrite(kind: string, client: string, requestKey: string, callMs: number): { command: KvCommand; input: MvccInput | null; succeeded?: () => void; unknown?: () => void } {
    const value = requestKey.replace('#', '-');
    const pending = (input: MvccInput) => () => this.recordUnknown({ clientId: client, input, callMs }, requestKey);
    switch (kind) {
      case 'lease-grant': {
        const lease = this.leases.plan(client);
        return { command: { type: 'lease-grant', request: { id: lease.id, ttlSeconds: lease.ttlMs / 1_000 } }, input: null, succeeded: () => this.leases.granted(lease) };
      }
      case 'lease-revoke': {
        const lease = this.leases.usable(client);
        if (lease === undefined) break;
        this.leases.revoking(lease);
        return { command: { type: 'lease-revoke', request: { id: lease.id } }, input: null };
      }
      case 'compact': {
        const revision = this.knowledge.newestRevision - 20 - this.random.nextInt(0, 200);
        if (revision <= 0) break;
        return { command: { type: 'compact', request: { revision } }, input: null };
      }
      case 'txn': {
        const input = planTxn(this.random, this.knowledge, value);
        return { command: toKvCommand(input, this.leaseFor(client, 0.2)), input, unknown: pending(input) };
      }
      case 'delete-range': {
        const input = planDelete(this.random);
        return { command: toKvCommand(input), input, unknown: pending(input) };
      }
    }
    const input: MvccInput = { kind: 'put', key: randomKey(this.random), value };
    return { command: toKvCommand(input, this.leaseFor(client, 0.35)), input, unknown: pending(input) };
  }

  private leaseFor(client: string, chance: number): bigint | undefined {
    return this.random.chance(chance) ? this.leases.usable(client)?.id : undefined;
  }

  private record(operation: MvccOperation): void {
    this.history.push(operation);
    this.knowledge.learn(operation.input, operation.output!);
  }

  private recordUnknown(operation: MvccOperation, requestKey: string): void {
    this.history.push(operation);
    this.unknownWrites.set(operation, requestKey);
  }

  /** A range; null when it failed, a refusal when the store refused the past revision asked for. */
  private read(member: NodeId, consistency: 'linearizable' | 'serializable', input: RangeRequest, revision: number | undefined, done: (answer: RangeResponse | { refused: 'compacted' | 'future-revision' } | null) => void): void {
    const request = { key: bytes(input.key), ...(input.rangeEnd === undefined ? {} : { rangeEnd: bytes(input.rangeEnd) }), ...(revision === undefined ? {} : { revision }) };
    const finish = (outcome: Outcome<KvResult<StoreRangeResponse>>): void => {
      if (!outcome.ok) return done(null);
      const result = outcome.value;
      if (result.ok) return done(toMvccOutput({ type: 'range', response: result.value }) as RangeResponse);
      const code = result.error.code;
      done(code === 'compacted' || code === 'future-revision' ? { refused: code } : null);
    };
    this.cluster.call(member, finish, (node) => node.read(consistency, this.options.requestTimeoutMs, (machine) => machine.kv.range(request), finish));
  }

  private propose(member: NodeId, command: KvCommand, requestId: { session: string; seq: number }, done: (answer: Answer) => void): void {
    const finish = (outcome: Outcome<CoreOutcome>): void => done(classify(outcome));
    this.cluster.call(member, finish, (node) => node.kv(command, { timeoutMs: this.options.requestTimeoutMs, requestId }, finish));
  }
}

/** Success; a failure that certainly changed nothing; or a failure that may have applied. */
function classify(outcome: Outcome<CoreOutcome>): Answer {
  if (!outcome.ok) {
    const error: ClientError = outcome.error;
    return error.certainlyNotApplied ? { kind: 'no-effect', byStore: false } : { kind: 'unknown' };
  }
  const result = outcome.value;
  if (result.ok) return { kind: 'ok', response: result.value as KvResponse };
  // The store's errors change nothing; a forgotten request may have applied long ago.
  if (result.error instanceof CoreError && result.error.coreCode === 'request-forgotten') return { kind: 'unknown' };
  return { kind: 'no-effect', byStore: true };
}
