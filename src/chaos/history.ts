// What the clients did, as the harness recorded it: each key-value request
// with its invocation and completion (or failure) in the harness's monotonic
// milliseconds, the leases granted, and what each watcher received. This is
// the raw material of the verdict and is written to the run directory as-is.

import type { MvccInput, MvccOutput, Operation, WatchEvent, WatchSpec } from '../check/index.js';

export interface RecordedOp {
  readonly id: number;
  readonly client: string;
  /** The member slot the request went to, or "any" when the client spreads over all. */
  readonly host: string;
  readonly input: MvccInput;
  readonly callMs: number;
  returnMs?: number;
  output?: MvccOutput;
  error?: string;
  /** The error proves the request never took effect (e.g. its lease was gone). */
  definite?: boolean;
  /** Why the op exists beyond the workload: "probe", "final-read", "serializable". */
  readonly purpose?: string;
}

export interface LeaseRecord {
  readonly leaseId: string;
  /** The one key attached to the lease: l/<lease id in hex>/k. */
  readonly key: string;
  readonly grantCallMs: number;
  readonly grantReturnMs: number;
  readonly ttlSeconds: number;
  /** The op that attached the key, if it was sent. */
  putOpId?: number;
  readonly keepAlives: { callMs: number; ttlSeconds: number }[];
  readonly revokeCallsMs: number[];
}

/** A watcher as the checker takes it (spec and responses), with how it got them. */
export interface RecordedWatcher {
  readonly spec: WatchSpec;
  readonly responses: WatchEvent[][];
  readonly host: string;
  /** How many streams the watcher opened: every one after the first resumed. */
  streams: number;
  cancelReasons: string[];
  lastRevision: number;
}

export class HistoryRecorder {
  readonly ops: RecordedOp[] = [];
  readonly leases: LeaseRecord[] = [];

  constructor(private readonly now: () => number, private readonly maxOps: number) {}

  get full(): boolean {
    return this.ops.length >= this.maxOps;
  }

  invoke(client: string, host: string, input: MvccInput, purpose?: string): RecordedOp {
    const op: RecordedOp = { id: this.ops.length, client, host, input, callMs: this.now(), ...(purpose === undefined ? {} : { purpose }) };
    this.ops.push(op);
    return op;
  }

  complete(op: RecordedOp, output: MvccOutput): void {
    op.returnMs = this.now();
    op.output = output;
  }

  fail(op: RecordedOp, error: string, definite: boolean): void {
    op.error = error;
    if (definite) {
      op.definite = true;
      op.returnMs = this.now();
    }
  }
}

export type MvccOperation = Operation<MvccInput, MvccOutput>;

/** Whether a completed op wrote, judged from its response. */
export function isWrite(input: MvccInput): boolean {
  if (input.kind === 'txn') return [...input.success, ...input.failure].some((op) => op.kind !== 'range');
  return input.kind !== 'range';
}
