// The swarm's clients: alice, bob and friends keep widget counts for the
// book's cities, one request at a time each, against whichever member they
// pick. A request that fails is retried as a new operation on another member
// (or on the leader the refusal named). Every operation goes into a history
// for the linearizability checker: a request that certainly had no effect is
// left out, one whose fate is unknown stays in as pending forever.

import type { NodeId } from '../../ids.js';
import type { Random } from '../../runtime/random.js';
import type { KvInput, KvOutput, Operation } from '../../check/index.js';
import type { ClientError, Outcome } from '../../server/client-errors.js';
import type { KvCommand, KvResult } from '../../server/kv-register-machine.js';

export const clientNames = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'] as const;
export const widgetKeys = ['boston', 'philadelphia', 'london', 'pune', 'paris', 'tokyo'] as const;

/** What the workload needs from the cluster it runs against. */
export interface WorkloadTarget {
  nowMs(): number;
  /** Runs `action` after `delayMs` of virtual time. */
  after(delayMs: number, action: () => void): void;
  /** Members a client may send to now (crashed ones included: clients do not know). */
  members(): readonly NodeId[];
  /** Sends a write or a read through the log; `done` may never be called if the member is down. */
  propose(member: NodeId, command: KvCommand, timeoutMs: number, done: (outcome: Outcome<KvResult>) => void): void;
  /** A linearizable read of one key through ReadIndex. */
  read(member: NodeId, key: string, timeoutMs: number, done: (outcome: Outcome<string | null>) => void): void;
}

export interface WorkloadOptions {
  readonly clients: number;
  /** Deadline a client gives the node for each request. */
  readonly requestTimeoutMs: number;
  /** A client waits this much longer for an answer before giving up on a silent member. */
  readonly clientGraceMs: number;
  /** Pause between one operation's end and the next one's start: uniform in [0, maxThinkMs). */
  readonly maxThinkMs: number;
  readonly keys: number;
}

export const defaultWorkloadOptions: WorkloadOptions = { clients: 4, requestTimeoutMs: 2_000, clientGraceMs: 500, maxThinkMs: 200, keys: 4 };

export interface WorkloadStatistics {
  issued: number;
  succeeded: number;
  failedCertainly: number;
  failedUnknown: number;
  timedOut: number;
}

type Kind = KvInput['kind'];

export class Workload {
  readonly history: Operation<KvInput, KvOutput>[] = [];
  /** Request ids of writes a client was told succeeded: each must survive every fault. */
  readonly acknowledgedWrites = new Set<string>();
  /** Writes whose outcome the client never learned, with their request ids. */
  readonly unknownWrites = new Map<Operation<KvInput, KvOutput>, string>();
  readonly statistics: WorkloadStatistics = { issued: 0, succeeded: 0, failedCertainly: 0, failedUnknown: 0, timedOut: 0 };
  private running = true;
  private inFlight = 0;
  private nextRequest = 1;
  private readonly preferred = new Map<string, NodeId>();

  constructor(
    private readonly target: WorkloadTarget,
    private readonly random: Random,
    private readonly options: WorkloadOptions = defaultWorkloadOptions,
  ) {}

  start(): void {
    for (let i = 0; i < this.options.clients; i++) {
      const client = clientNames[i % clientNames.length]! + (i >= clientNames.length ? String(i) : '');
      this.target.after(this.random.nextInt(0, 50), () => this.issue(client));
    }
  }

  /** Clients finish the operation they are in and issue no more. */
  stop(): void {
    this.running = false;
  }

  /** Operations issued and not yet answered or given up on. */
  get pending(): number {
    return this.inFlight;
  }

  private issue(client: string): void {
    if (!this.running) return;
    const members = this.target.members();
    if (members.length === 0) return this.target.after(100, () => this.issue(client));
    // A client sticks to the member that last served it (or that a refusal named), as real clients do.
    const preferred = this.preferred.get(client);
    const member = preferred !== undefined && members.includes(preferred) && !this.random.chance(0.1)
      ? preferred
      : members[this.random.nextInt(0, members.length)]!;
    const key = widgetKeys[this.random.nextInt(0, Math.min(this.options.keys, widgetKeys.length))]!;
    const requestId = `${client}-${this.nextRequest++}`;
    const input = this.chooseInput(key, requestId);
    const callMs = this.target.nowMs();
    this.statistics.issued++;
    this.inFlight++;
    let settled = false;
    const finish = (output: KvOutput | null, error: ClientError | null): void => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (error === null) this.preferred.set(client, member);
      else if (error.code === 'not-leader' && error.leaderHint !== null) this.preferred.set(client, error.leaderHint);
      else this.preferred.delete(client);
      if (error === null) {
        this.statistics.succeeded++;
        this.history.push({ clientId: client, input, output: output!, callMs, returnMs: this.target.nowMs() });
        if (input.kind !== 'get') this.acknowledgedWrites.add(requestId);
      } else if (error.certainlyNotApplied || input.kind === 'get') {
        // A read changes nothing, and this write never happened: neither belongs in the history.
        this.statistics.failedCertainly++;
      } else {
        this.statistics.failedUnknown++;
        this.recordUnknown({ clientId: client, input, callMs }, requestId);
      }
      this.target.after(this.random.nextInt(0, this.options.maxThinkMs), () => this.issue(client));
    };
    // A member that crashed or stays paused never answers: the client gives up on its own clock.
    this.target.after(this.options.requestTimeoutMs + this.options.clientGraceMs, () => {
      if (settled) return;
      this.statistics.timedOut++;
      this.preferred.delete(client);
      if (input.kind !== 'get') this.recordUnknown({ clientId: client, input, callMs }, requestId);
      settled = true;
      this.inFlight--;
      this.target.after(this.random.nextInt(0, this.options.maxThinkMs), () => this.issue(client));
    });
    if (input.kind === 'get' && this.random.chance(0.7)) {
      this.target.read(member, key, this.options.requestTimeoutMs, (outcome) => {
        if (outcome.ok) finish({ kind: 'get', value: outcome.value }, null);
        else finish(null, outcome.error);
      });
      return;
    }
    this.target.propose(member, toCommand(input, requestId), this.options.requestTimeoutMs, (outcome) => {
      if (outcome.ok) finish(toOutput(outcome.value), null);
      else finish(null, outcome.error);
    });
  }

  private recordUnknown(operation: Operation<KvInput, KvOutput>, requestId: string): void {
    this.history.push(operation);
    this.unknownWrites.set(operation, requestId);
  }

  private chooseInput(key: string, requestId: string): KvInput {
    const roll = this.random.nextInt(0, 100);
    const kind: Kind = roll < 35 ? 'put' : roll < 65 ? 'get' : roll < 90 ? 'cas' : 'delete';
    const value = requestId;
    switch (kind) {
      case 'put':
        return { kind, key, value };
      case 'get':
      case 'delete':
        return { kind, key };
      case 'cas': {
        // Expect a value some client wrote recently, or absence, so some succeed.
        const recent = this.recentValue(key);
        return { kind, key, expected: this.random.chance(0.2) ? null : recent, value };
      }
    }
  }

  private recentValue(key: string): string | null {
    for (let i = this.history.length - 1; i >= 0 && i >= this.history.length - 50; i--) {
      const operation = this.history[i]!;
      if (operation.input.key !== key || operation.output === undefined) continue;
      if (operation.output.kind === 'get') return operation.output.value;
      if (operation.input.kind === 'put') return operation.input.value;
      if (operation.input.kind === 'cas' && operation.output.kind === 'cas' && operation.output.succeeded) return operation.input.value;
    }
    return null;
  }
}

function toCommand(input: KvInput, id: string): KvCommand {
  switch (input.kind) {
    case 'put':
      return { op: 'put', key: input.key, value: input.value, id };
    case 'get':
      return { op: 'get', key: input.key, id };
    case 'delete':
      return { op: 'delete', key: input.key, id };
    case 'cas':
      return { op: 'cas', key: input.key, expected: input.expected, value: input.value, id };
  }
}

function toOutput(result: KvResult): KvOutput {
  switch (result.op) {
    case 'put':
      return { kind: 'put', previous: result.previous };
    case 'get':
      return { kind: 'get', value: result.value };
    case 'delete':
      return { kind: 'delete', deleted: result.existed };
    case 'cas':
      return { kind: 'cas', succeeded: result.succeeded };
    case 'invalid':
      throw new Error(`the key-value machine refused a command the workload built: ${result.detail}`);
  }
}
