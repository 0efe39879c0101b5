// The etcd backend for one member without Raft: commands are encoded as the
// Raft log would carry them and applied at once to the KvStateMachine, with
// a counter standing in for the log index. The member is its own leader, so
// its Lessor counts leases down and the expiry loop revokes them through the
// same apply path. Clock and timers are injected: the real server passes the
// system's, tests and the simulator may pass virtual ones.

import { createHash } from 'node:crypto';
import { checkKvCommand, KvStateMachine, type KvResponse } from '../../kv/kv-state-machine.js';
import { encodeKvCommand, type KvCommand } from '../../kv/kv-command.js';
import { KvError } from '../../kv/errors.js';
import type { KvLimits } from '../../kv/limits.js';
import { Lessor } from '../../kv/lessor.js';
import { isReadOnlyTxn } from '../../kv/request-checks.js';
import type {
  DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../../kv/types.js';
import { WatchHub, type WatchHubOptions } from '../../kv/watch-hub.js';
import type { Clock } from '../../runtime/clock.js';
import type { TimerHandle, Timers } from '../../runtime/timers.js';
import type {
  AlarmAction, AlarmMember, AlarmType, Answer, EtcdBackend, HashKv, LeaseGrant, LeaseTimeToLive, Member, MemberStatus,
  ReadOptions, ResponseHeader, SnapshotChunk, WatchSession,
} from './backend.js';
import { EtcdError, etcdMessages } from './etcd-errors.js';
import { etcdApiVersion } from './etcd-version.js';
import { LocalWatchSession, type WatchRouter } from './local-watch-session.js';
import { LocalMembership } from './local-membership.js';
import { encodeSnapshotFile } from './snapshot-file.js';


export interface LocalBackendOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /** etcd's --name; the member and cluster ids derive from it and the peer URLs. */
  readonly memberName?: string;
  readonly peerUrls?: readonly string[];
  readonly kvLimits?: Partial<KvLimits>;
  readonly watch?: WatchHubOptions;
  readonly maxWatchesPerStream?: number;
  /** How often expired leases are looked for (etcd checks every 500 ms). */
  readonly leaseCheckIntervalMs?: number;
  /** How often lagging watchers replay a batch of history (etcd: 100 ms). */
  readonly watchSyncIntervalMs?: number;
  /** Bytes per snapshot chunk (etcd sends 32 KiB). */
  readonly snapshotChunkBytes?: number;
}

/** 64 bits of a SHA-256, as a stable id derived from names (etcd hashes peer URLs and the cluster token similarly). */
function idFrom(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0) || 1n;
}

export class LocalBackend implements EtcdBackend {
  readonly stateMachine: KvStateMachine;
  readonly lessor: Lessor;
  private readonly hub: WatchHub;
  private readonly sessionsByHubId = new Map<number, LocalWatchSession>();
  private readonly membership: LocalMembership;
  private readonly alarms = new Map<string, AlarmMember>();
  private appliedIndex = 0;
  private readonly raftTerm = 1;
  private readonly timerHandles: TimerHandle[] = [];
  private closed = false;
  private readonly maxWatchesPerStream: number;
  private readonly snapshotChunkBytes: number;

  constructor(private readonly options: LocalBackendOptions) {
    const name = options.memberName ?? 'default';
    const peerUrls = options.peerUrls ?? ['http://localhost:2380'];
    const memberId = idFrom(`member ${name} ${peerUrls.join(',')}`);
    const clusterId = idFrom(`cluster ${name}=${peerUrls.join(',')}`);
    this.membership = new LocalMembership({ id: memberId, name, peerUrls, clientUrls: [], isLearner: false }, clusterId);
    this.stateMachine = new KvStateMachine(options.kvLimits);
    this.lessor = new Lessor({ clock: options.clock });
    this.stateMachine.onLeaseChange((change) => this.lessor.observe(change));
    this.lessor.promote();
    this.hub = new WatchHub(this.stateMachine, options.watch);
    this.hub.onReady((hubId) => this.sessionsByHubId.get(hubId)?.markReady(hubId));
    this.maxWatchesPerStream = options.maxWatchesPerStream ?? 10_000;
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? 32 * 1024;
    this.every(options.leaseCheckIntervalMs ?? 500, () => this.revokeExpiredLeases());
    this.every(options.watchSyncIntervalMs ?? 100, () => this.hub.syncUnsynced());
  }

  private every(intervalMs: number, body: () => void): void {
    const run = (): void => {
      if (this.closed) return;
      body();
      this.timerHandles[slot] = this.options.timers.schedule(intervalMs, run);
    };
    const slot = this.timerHandles.length;
    this.timerHandles.push(this.options.timers.schedule(intervalMs, run));
  }

  private revokeExpiredLeases(): void {
    // A revoke that fails (the lease went meanwhile) has nothing left to do.
    for (const id of this.lessor.expired()) this.apply({ type: 'lease-revoke', request: { id } });
  }

  header(revision = this.stateMachine.revision): ResponseHeader {
    return { clusterId: this.membership.clusterId, memberId: this.membership.self.id, revision, raftTerm: this.raftTerm };
  }

  private answer<T>(body: T, revision?: number): Answer<T> {
    return { header: this.header(revision), body };
  }

  /** Encoded as Raft will carry it, checked as a leader checks before proposing, then applied. */
  private apply(command: KvCommand): KvResponse {
    if (this.closed) throw new EtcdError('Unavailable', etcdMessages.noLeader);
    const encoded = encodeKvCommand(command);
    const refused = checkKvCommand(command, this.stateMachine.limits, encoded);
    if (refused !== null) throw refused;
    const result = this.stateMachine.applyCommand(encoded, ++this.appliedIndex);
    if (!result.ok) {
      // etcd raises the NOSPACE alarm the first time the quota refuses a write.
      if (result.error.code === 'no-space') this.alarms.set(`${this.membership.self.id}:nospace`, { memberId: this.membership.self.id, alarm: 'nospace' });
      throw result.error;
    }
    return result.value;
  }

  /** While NOSPACE is raised etcd refuses anything that could grow the store, until an operator disarms it. */
  private refuseIfNoSpace(): void {
    for (const alarm of this.alarms.values()) if (alarm.alarm === 'nospace') throw new KvError('no-space');
  }

  async range(request: RangeRequest, _options: ReadOptions): Promise<Answer<RangeResponse>> {
    const response = this.apply({ type: 'range', request });
    if (response.type !== 'range') throw new EtcdError('Internal', 'range answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async put(request: PutRequest): Promise<Answer<PutResponse>> {
    this.refuseIfNoSpace();
    const response = this.apply({ type: 'put', request });
    if (response.type !== 'put') throw new EtcdError('Internal', 'put answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async deleteRange(request: DeleteRangeRequest): Promise<Answer<DeleteRangeResponse>> {
    const response = this.apply({ type: 'delete-range', request });
    if (response.type !== 'delete-range') throw new EtcdError('Internal', 'delete answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async txn(request: TxnRequest, _options: ReadOptions): Promise<Answer<TxnResponse>> {
    if (!isReadOnlyTxn(request)) this.refuseIfNoSpace();
    const response = this.apply({ type: 'txn', request });
    if (response.type !== 'txn') throw new EtcdError('Internal', 'txn answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async compact(revision: number, _physical: boolean): Promise<Answer<null>> {
    const response = this.apply({ type: 'compact', request: { revision } });
    if (response.type !== 'compact') throw new EtcdError('Internal', 'compact answered with another type');
    return this.answer(null, response.response.revision);
  }

  async leaseGrant(request: LeaseGrant): Promise<Answer<LeaseGrant>> {
    this.refuseIfNoSpace();
    const response = this.apply({ type: 'lease-grant', request });
    if (response.type !== 'lease-grant') throw new EtcdError('Internal', 'lease grant answered with another type');
    return this.answer({ id: response.response.id, ttlSeconds: response.response.ttlSeconds });
  }

  async leaseRevoke(id: bigint): Promise<Answer<null>> {
    const response = this.apply({ type: 'lease-revoke', request: { id } });
    if (response.type !== 'lease-revoke') throw new EtcdError('Internal', 'lease revoke answered with another type');
    return this.answer(null, response.response.revision);
  }

  async leaseKeepAlive(id: bigint): Promise<Answer<LeaseGrant>> {
    const outcome = this.lessor.renew(id);
    if (!outcome.ok && outcome.reason === 'not-leader') throw new EtcdError('Unavailable', etcdMessages.noLeader);
    return this.answer({ id, ttlSeconds: outcome.ok ? outcome.ttlSeconds : 0 });
  }

  async leaseTimeToLive(id: bigint, keys: boolean): Promise<Answer<LeaseTimeToLive>> {
    const info = this.stateMachine.leaseInfo(id);
    const remaining = this.lessor.remainingSeconds(id);
    if (info === null || remaining === null) return this.answer({ id, ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] });
    return this.answer({ id, ttlSeconds: remaining, grantedTtlSeconds: info.grantedTtlSeconds, keys: keys ? info.keys : [] });
  }

  async leaseLeases(): Promise<Answer<readonly bigint[]>> {
    return this.answer(this.stateMachine.leases().map((lease) => lease.id));
  }

  openWatchSession(): WatchSession {
    const router: WatchRouter = {
      hub: this.hub,
      header: () => this.header(),
      headerAt: (revision) => this.header(revision),
      route: (hubId, session) => {
        if (session === null) this.sessionsByHubId.delete(hubId);
        else this.sessionsByHubId.set(hubId, session);
      },
    };
    return new LocalWatchSession(router, this.maxWatchesPerStream);
  }

  async status(): Promise<Answer<MemberStatus>> {
    const usedBytes = this.stateMachine.store.usedBytes;
    return this.answer({
      version: etcdApiVersion,
      dbSizeBytes: usedBytes,
      dbSizeInUseBytes: usedBytes,
      leader: this.membership.self.id,
      raftIndex: this.appliedIndex,
      raftTerm: this.raftTerm,
      raftAppliedIndex: this.appliedIndex,
      errors: [...this.alarms.values()].map((alarm) => `memberID:${alarm.memberId} alarm:${alarm.alarm.toUpperCase()} `),
      isLearner: false,
    });
  }

  async hashKv(revision: number): Promise<Answer<HashKv>> {
    const result = this.stateMachine.hashKv(revision);
    if (!result.ok) throw result.error;
    return this.answer({ hash: result.value.hash, compactRevision: result.value.compactRevision }, result.value.revision);
  }

  async hash(): Promise<Answer<number>> {
    const result = this.stateMachine.hashKv(0);
    if (!result.ok) throw result.error;
    return this.answer(result.value.hash);
  }

  async *snapshot(): AsyncIterable<Answer<SnapshotChunk>> {
    const snapshot = this.stateMachine.snapshot(new Uint8Array(0));
    const whole = encodeSnapshotFile(snapshot.toBytes());
    for (let offset = 0; offset < whole.length; offset += this.snapshotChunkBytes) {
      const blob = whole.subarray(offset, offset + this.snapshotChunkBytes);
      yield this.answer({ blob, remainingBytes: whole.length - offset - blob.length }, snapshot.revision);
    }
  }

  async defragment(): Promise<Answer<null>> {
    return this.answer(null);
  }

  async alarm(action: AlarmAction, memberId: bigint, alarm: AlarmType): Promise<Answer<readonly AlarmMember[]>> {
    const key = `${memberId}:${alarm}`;
    if (action === 'activate' && alarm !== 'none') {
      this.alarms.set(key, { memberId, alarm });
      return this.answer([{ memberId, alarm }]);
    }
    if (action === 'deactivate') {
      const existing = this.alarms.get(key);
      this.alarms.delete(key);
      return this.answer(existing === undefined ? [] : [existing]);
    }
    if (action === 'activate') return this.answer([]);
    return this.answer([...this.alarms.values()].filter((a) => alarm === 'none' || a.alarm === alarm));
  }

  async moveLeader(targetId: bigint): Promise<Answer<null>> {
    // The only member is already the leader; any other target is not a member.
    if (targetId !== this.membership.self.id) throw new EtcdError('FailedPrecondition', etcdMessages.badLeaderTransferee);
    return this.answer(null);
  }

  async memberList(): Promise<Answer<readonly Member[]>> {
    return this.answer(this.membership.list());
  }

  async memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<Answer<{ member: Member; members: readonly Member[] }>> {
    return this.membership.add(peerUrls, isLearner);
  }

  async memberRemove(id: bigint): Promise<Answer<readonly Member[]>> {
    return this.answer(this.membership.remove(id));
  }

  async memberUpdate(id: bigint, peerUrls: readonly string[]): Promise<Answer<readonly Member[]>> {
    return this.answer(this.membership.update(id, peerUrls));
  }

  async memberPromote(id: bigint): Promise<Answer<readonly Member[]>> {
    return this.answer(this.membership.promote(id));
  }

  announceClientUrls(urls: readonly string[]): void {
    this.membership.announceClientUrls(urls);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handle of this.timerHandles) this.options.timers.cancel(handle);
    for (const session of new Set(this.sessionsByHubId.values())) session.close();
  }
}
