// The key-value store as the node's state machine: Raft hands it committed
// entries (applyCommand), asks it for snapshots and restores it from one.
// Everything a client can get wrong comes back as a result, never an
// exception, so every member records the same outcome for the same entry.
// The limits must be the same on every member, since apply enforces them.

import { KvError } from './errors.js';
import { decodeKvCommand, encodeKvCommand, type KvCommand } from './kv-command.js';
import { hashKv } from './kv-hash.js';
import { restoreSnapshot, takeSnapshot, type KvSnapshot } from './kv-snapshot.js';
import type { KvLimits } from './limits.js';
import { MvccStore, type Change, type CommitListener } from './mvcc-store.js';
import { checkDeleteRange, checkPut, checkRange, checkTxn } from './request-checks.js';
import type {
  CompactionResponse, DeleteRangeResponse, HashKvResponse, LeaseGrantResponse, LeaseInfo, LeaseRevokeResponse, PutResponse,
  RangeRequest, RangeResponse, TxnResponse,
} from './types.js';

export type KvResponse =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'delete-range'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse }
  | { readonly type: 'compact'; readonly response: CompactionResponse }
  | { readonly type: 'lease-grant'; readonly response: LeaseGrantResponse }
  | { readonly type: 'lease-revoke'; readonly response: LeaseRevokeResponse };

export type KvResult<T = KvResponse> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KvError };

/** How the replicated lease table changed, for the Lessor that every member keeps. */
export type LeaseChange =
  | { readonly type: 'granted'; readonly id: bigint; readonly ttlSeconds: number }
  | { readonly type: 'revoked'; readonly id: bigint }
  | { readonly type: 'reset'; readonly leases: readonly { readonly id: bigint; readonly ttlSeconds: number }[] };

/** What the watch hub needs from whatever holds the store now. */
export interface WatchSource {
  readonly revision: number;
  readonly compactRevision: number;
  changesAt(revision: number): readonly Change[] | null;
  onCommit(listener: CommitListener): void;
  /** Called after the whole state was replaced (snapshot restore). */
  onRestore?(listener: () => void): void;
}

function attempt<T>(body: () => T): KvResult<T> {
  try {
    return { ok: true, value: body() };
  } catch (error) {
    if (error instanceof KvError) return { ok: false, error };
    throw error;
  }
}

/**
 * The checks a node makes before proposing: the encoded size and everything
 * that depends on the request alone. Apply repeats them.
 */
export function checkKvCommand(command: KvCommand, limits: KvLimits, encoded = encodeKvCommand(command)): KvError | null {
  if (encoded.length > limits.maxRequestBytes) return new KvError('request-too-large', `${encoded.length} > ${limits.maxRequestBytes} bytes`);
  const checked = attempt(() => {
    if (command.type === 'range') checkRange(command.request);
    else if (command.type === 'put') checkPut(command.request);
    else if (command.type === 'delete-range') checkDeleteRange(command.request);
    else if (command.type === 'txn') checkTxn(command.request, limits.maxTxnOps);
  });
  return checked.ok ? null : checked.error;
}

export class KvStateMachine implements WatchSource {
  private current: MvccStore;
  private readonly commitListeners: CommitListener[] = [];
  private readonly restoreListeners: (() => void)[] = [];
  private readonly leaseListeners: ((change: LeaseChange) => void)[] = [];

  constructor(private readonly limitOverrides: Partial<KvLimits> = {}) {
    this.current = this.attach(new MvccStore(limitOverrides));
  }

  get store(): MvccStore {
    return this.current;
  }

  get revision(): number {
    return this.current.revision;
  }

  get compactRevision(): number {
    return this.current.compactRevision;
  }

  get limits(): KvLimits {
    return this.current.limits;
  }

  /** Applies one committed entry's command. logIndex seeds generated lease ids. */
  applyCommand(bytes: Uint8Array, logIndex: number): KvResult {
    if (bytes.length > this.limits.maxRequestBytes) {
      return { ok: false, error: new KvError('request-too-large', `${bytes.length} > ${this.limits.maxRequestBytes} bytes`) };
    }
    let command: KvCommand;
    try {
      command = decodeKvCommand(bytes);
    } catch (error) {
      if (error instanceof RangeError) return { ok: false, error: new KvError('malformed-command', error.message) };
      throw error;
    }
    return this.apply(command, logIndex);
  }

  apply(command: KvCommand, logIndex: number): KvResult {
    const result = this.applyToStore(command, logIndex);
    if (result.ok && result.value.type === 'lease-grant') {
      this.emitLease({ type: 'granted', id: result.value.response.id, ttlSeconds: result.value.response.ttlSeconds });
    } else if (result.ok && command.type === 'lease-revoke') {
      this.emitLease({ type: 'revoked', id: command.request.id });
    }
    return result;
  }

  private applyToStore(command: KvCommand, logIndex: number): KvResult {
    const store = this.current;
    return attempt((): KvResponse => {
      switch (command.type) {
        case 'range':
          return { type: command.type, response: store.range(command.request) };
        case 'put':
          return { type: command.type, response: store.put(command.request) };
        case 'delete-range':
          return { type: command.type, response: store.deleteRange(command.request) };
        case 'txn':
          return { type: command.type, response: store.txn(command.request) };
        case 'compact':
          return { type: command.type, response: store.compact(command.request.revision) };
        case 'lease-grant':
          return { type: command.type, response: store.leaseGrant(command.request, logIndex) };
        case 'lease-revoke':
          return { type: command.type, response: store.leaseRevoke(command.request.id) };
      }
    });
  }

  /** A local (serializable) read. */
  range(request: RangeRequest): KvResult<RangeResponse> {
    return attempt(() => this.current.range(request));
  }

  hashKv(revision: number): KvResult<HashKvResponse> {
    return attempt(() => hashKv(this.current, revision));
  }

  leaseInfo(id: bigint): LeaseInfo | null {
    return this.current.leaseInfo(id);
  }

  leases(): { id: bigint; ttlSeconds: number }[] {
    return this.current.leases();
  }

  changesAt(revision: number): readonly Change[] | null {
    return this.current.changesAt(revision);
  }

  /** O(1) now; serialise the snapshot's chunks at leisure while applying continues. */
  snapshot(sessions: Uint8Array): KvSnapshot {
    return takeSnapshot(this.current, sessions);
  }

  /** Replaces the whole state; throws KvSnapshotError (state unchanged) on a damaged snapshot. Returns the sessions blob. */
  restore(bytes: Uint8Array): Uint8Array {
    const { store, sessions } = restoreSnapshot(bytes, this.limitOverrides);
    this.current = this.attach(store);
    this.emitLease({ type: 'reset', leases: store.leases() });
    for (const listener of this.restoreListeners) listener();
    return sessions;
  }

  /** Grants, revokes and restores of the lease table, as they apply. */
  onLeaseChange(listener: (change: LeaseChange) => void): void {
    this.leaseListeners.push(listener);
  }

  private emitLease(change: LeaseChange): void {
    for (const listener of this.leaseListeners) listener(change);
  }

  onCommit(listener: CommitListener): void {
    this.commitListeners.push(listener);
  }

  onRestore(listener: () => void): void {
    this.restoreListeners.push(listener);
  }

  private attach(store: MvccStore): MvccStore {
    store.onCommit((revision, changes) => {
      for (const listener of this.commitListeners) listener(revision, changes);
    });
    return store;
  }
}
