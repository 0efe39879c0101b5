// The key-value clients: each runs one request at a time against one member
// (or spread over all), a seeded mix of puts, single-key and prefix ranges,
// deletes and guarded txns over the widget counts of a few cities. Every
// value written is unique (client and sequence number), so a read names the
// write it saw.

import type { Etcd3 } from 'etcd3';
import { prefixRangeEnd, type Compare, type KeyValue, type MvccInput, type MvccOutput } from '../check/index.js';
import type { Random } from '../runtime/random.js';
import { deadline, errorText, isDefiniteFailure } from './clients.js';
import { deleteOutput, putOutput, rangeOutput, requestOp, txnOutput, txnRequest } from './etcd-wire.js';
import type { HistoryRecorder, RecordedOp } from './history.js';

export const widgetKeys = ['boston', 'philadelphia', 'london', 'pune', 'lagos', 'lima'].map((city) => `widgets/${city}`);
export const widgetPrefix = 'widgets/';

export interface KvWorkloadContext {
  readonly recorder: HistoryRecorder;
  readonly now: () => number;
  readonly stopped: () => boolean;
  readonly requestTimeoutMs: number;
  /**
   * Members whose clients send ranges as serializable (member-local) reads,
   * recorded as if linearizable: the stale-read demonstration on a system
   * without an unsafe switch. The nemesis fills it with the targets of the
   * fault under way.
   */
  readonly serializableReadsAt: ReadonlySet<string>;
  /**
   * Members whose clients only read for now: a paused leader gets reads
   * queued while it sleeps, which it must not answer from its own state
   * when it wakes.
   */
  readonly readsOnlyAt: ReadonlySet<string>;
  readonly maxOpsPerClient: number;
  readonly thinkMs: number;
}

/** Sends one recorded request and records its outcome. */
export async function perform(ctx: KvWorkloadContext, etcd: Etcd3, client: string, host: string, input: MvccInput, purpose?: string): Promise<RecordedOp> {
  const serializable = readsOnly(input) && ctx.serializableReadsAt.has(host);
  const op = ctx.recorder.invoke(client, host, input, purpose ?? (serializable ? 'serializable' : undefined));
  try {
    ctx.recorder.complete(op, await send(etcd, input, ctx.requestTimeoutMs, serializable, undefined));
  } catch (error) {
    ctx.recorder.fail(op, errorText(error), isDefiniteFailure(error));
  }
  return op;
}

function readsOnly(input: MvccInput): boolean {
  return input.kind === 'range' || (input.kind === 'txn' && [...input.success, ...input.failure].every((op) => op.kind === 'range'));
}

export async function send(etcd: Etcd3, input: MvccInput, timeoutMs: number, serializable: boolean, lease: string | undefined): Promise<MvccOutput> {
  const options = deadline(timeoutMs);
  switch (input.kind) {
    case 'range':
      return rangeOutput(await etcd.kv.range(requestOp(input, { prevKv: false, serializable }).request_range!, options));
    case 'put': {
      const prevKv = lease === undefined;
      return putOutput(await etcd.kv.put({ ...requestOp(input, { prevKv, serializable }).request_put!, ...(lease === undefined ? {} : { lease }) }, options), prevKv);
    }
    case 'delete-range':
      return deleteOutput(await etcd.kv.deleteRange(requestOp(input, { prevKv: true, serializable }).request_delete_range!, options), true);
    case 'txn':
      return txnOutput(await etcd.kv.txn(txnRequest(input, serializable), options));
  }
}

export class KvClient {
  private sequence = 0;
  /** What this client last saw of each key, to build txn guards that sometimes hold. */
  private readonly seen = new Map<string, KeyValue | null>();

  constructor(
    readonly id: string,
    readonly host: string,
    private readonly etcd: Etcd3,
    private readonly random: Random,
    private readonly ctx: KvWorkloadContext,
  ) {}

  async run(): Promise<void> {
    let ops = 0;
    while (!this.ctx.stopped() && ops < this.ctx.maxOpsPerClient && !this.ctx.recorder.full) {
      const op = await perform(this.ctx, this.etcd, this.id, this.host, this.nextInput());
      this.learn(op);
      ops++;
      // After a failure, back off: a client pinned to a dead member would otherwise spin through its budget.
      const pauseMs = op.output === undefined ? 100 + this.random.nextInt(0, 100) : this.random.nextInt(0, this.ctx.thinkMs + 1);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  private nextInput(): MvccInput {
    const key = widgetKeys[this.random.nextInt(0, widgetKeys.length)]!;
    const value = `${this.id}.${++this.sequence}`;
    // Reads only where the fault under way tests reads; writes there would just time out.
    const readsOnly = this.ctx.serializableReadsAt.has(this.host) || this.ctx.readsOnlyAt.has(this.host);
    const roll = readsOnly ? 0.3 + this.random.nextFloat() * 0.35 : this.random.nextFloat();
    if (roll < 0.3) return { kind: 'put', key, value };
    if (roll < 0.55) return { kind: 'range', key };
    if (roll < 0.65) return { kind: 'range', key: widgetPrefix, rangeEnd: prefixRangeEnd(widgetPrefix) };
    if (roll < 0.72) return { kind: 'delete-range', key };
    // etcd refuses a txn that puts one key twice, so the second put goes to another key.
    const others = widgetKeys.filter((k) => k !== key);
    const other = others[this.random.nextInt(0, others.length)]!;
    return { kind: 'txn', compare: [this.guard(key)], success: [{ kind: 'put', key, value }, { kind: 'put', key: other, value: `${value}+` }], failure: [{ kind: 'range', key }] };
  }

  /** A compare on what the client last saw: it holds unless someone wrote since. */
  private guard(key: string): Compare {
    const last = this.seen.get(key);
    const pick = this.random.nextInt(0, 3);
    if (last === undefined || last === null) return { key, target: 'version', result: 'equal', operand: 0 };
    if (pick === 0) return { key, target: 'mod', result: 'equal', operand: last.modRevision };
    if (pick === 1) return { key, target: 'value', result: 'equal', operand: last.value };
    return { key, target: 'version', result: 'greater', operand: last.version - 1 };
  }

  private learn(op: RecordedOp): void {
    const output = op.output;
    if (output === undefined) return;
    if (output.kind === 'range') {
      if (op.input.kind === 'range' && op.input.rangeEnd === undefined) this.seen.set(op.input.key, output.kvs[0] ?? null);
      else for (const kv of output.kvs) this.seen.set(kv.key, kv);
    }
  }
}
