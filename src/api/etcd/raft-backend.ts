// The etcd backend of a member of a replicated cluster: every method turns
// into one request of the member's CoreNode. Writes go through the Raft log
// from any member (a follower forwards them); linearizable reads go through
// ReadIndex, serializable ones are served from this member's applied state;
// lease keep-alives and membership changes go to the leader. The answers
// carry etcd's header: cluster id, this member's id, the revision and the
// Raft term.

import { checkKvCommand, type KvResponse, type KvResult } from '../../kv/kv-state-machine.js';
import type { KvCommand } from '../../kv/kv-command.js';
import { KvError } from '../../kv/errors.js';
import { isReadOnlyTxn } from '../../kv/request-checks.js';
import type {
  DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../../kv/types.js';
import { ClientError, type Completion } from '../../server/client-errors.js';
import { CoreError, type AlarmRecord, type CoreOutcome } from '../../server/core-machine.js';
import type { CoreNode } from '../../server/core-node.js';
import type { MemberRecord } from '../../server/member-table.js';
import type { MetricFamily } from '../../server/metrics.js';
import type {
  AlarmAction, AlarmMember, AlarmType, Answer, EtcdBackend, HashKv, LeaseGrant, LeaseTimeToLive, Member, MemberStatus,
  ReadOptions, ResponseHeader, SnapshotChunk, WatchSession,
} from './backend.js';
import { EtcdError, etcdMessages } from './etcd-errors.js';
import { etcdApiVersion } from './etcd-version.js';
import { LocalWatchSession, type WatchRouter } from './local-watch-session.js';
import { encodeSnapshotFile } from './snapshot-file.js';

export interface RaftBackendOptions {
  readonly node: CoreNode;
  readonly clusterId: bigint;
  /** This member's name, published with its client URLs once the server listens. */
  readonly name: string;
  /** How long a request may wait in the node (the gRPC layer adds its own deadline). */
  readonly requestTimeoutMs: number;
  readonly maxWatchesPerStream?: number;
  readonly snapshotChunkBytes?: number;
  /** More numbers for /metrics from the process around the node (disk syncs, peer traffic, gRPC calls). */
  readonly extraMetrics?: () => readonly MetricFamily[];
  /** What this member publishes as its client URLs (etcd's --advertise-client-urls); by default, where the server listens. */
  readonly advertiseClientUrls?: readonly string[];
}

/** etcd's errors for what the node reports. */
export function etcdErrorOf(error: unknown): unknown {
  if (error instanceof CoreError) {
    switch (error.coreCode) {
      case 'member-not-found':
        return new EtcdError('NotFound', etcdMessages.memberNotFound);
      case 'invalid-peer-urls':
        return new EtcdError('InvalidArgument', error.message);
      case 'malformed-entry':
        return new EtcdError('Internal', error.message);
      case 'too-many-members':
        return new EtcdError('ResourceExhausted', error.message);
      default:
        return new EtcdError('FailedPrecondition', error.message);
    }
  }
  if (!(error instanceof ClientError)) return error;
  switch (error.code) {
    case 'not-leader':
      return new EtcdError('Unavailable', etcdMessages.noLeader);
    case 'leader-changed':
      return new EtcdError('Unavailable', 'etcdserver: leader changed');
    case 'deadline-exceeded':
      return new EtcdError('Unavailable', etcdMessages.requestTimeout);
    case 'overloaded':
      return new EtcdError('ResourceExhausted', 'etcdserver: too many requests');
    case 'stopped':
      return new EtcdError('Unavailable', 'etcdserver: server stopped');
    case 'refused':
      return new EtcdError(error.message.startsWith('etcdserver: the member has been permanently removed') ? 'FailedPrecondition' : 'Unavailable',
        error.message.startsWith('etcdserver:') ? error.message : `etcdserver: ${error.message}`);
  }
}

function call<T>(start: (done: Completion<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((outcome) => (outcome.ok ? resolve(outcome.value) : reject(etcdErrorOf(outcome.error))));
  });
}

export class RaftBackend implements EtcdBackend {
  private readonly node: CoreNode;
  private readonly sessionsByHubId = new Map<number, LocalWatchSession>();
  private lastHeader: ResponseHeader | null = null;
  private readonly maxWatchesPerStream: number;
  private readonly snapshotChunkBytes: number;
  private closed = false;

  constructor(private readonly options: RaftBackendOptions) {
    this.node = options.node;
    this.maxWatchesPerStream = options.maxWatchesPerStream ?? 10_000;
    this.snapshotChunkBytes = options.snapshotChunkBytes ?? 32 * 1024;
    this.node.hub.onReady((hubId) => this.sessionsByHubId.get(hubId)?.markReady(hubId));
  }

  header(revision = this.node.machine.kv.revision): ResponseHeader {
    const memberId = this.node.self()?.id ?? 0n;
    const raftTerm = this.node.raft.term;
    // A commit fanned out to a hundred watchers answers each with the same header: one object, not a hundred.
    const last = this.lastHeader;
    if (last !== null && last.revision === revision && last.raftTerm === raftTerm && last.memberId === memberId) return last;
    return (this.lastHeader = { clusterId: this.options.clusterId, memberId, revision, raftTerm });
  }

  private answer<T>(body: T, revision?: number): Answer<T> {
    return { header: this.header(revision), body };
  }

  // ---- KV ----

  private async write(command: KvCommand): Promise<KvResponse> {
    const refusal = checkKvCommand(command, this.node.machine.kv.limits);
    if (refusal !== null) throw refusal;
    const outcome = await call<CoreOutcome>((done) => this.node.kv(command, { timeoutMs: this.options.requestTimeoutMs }, done));
    if (!outcome.ok) throw etcdErrorOf(outcome.error);
    return outcome.value as KvResponse;
  }

  private read<T>(options: ReadOptions, read: Parameters<CoreNode['read']>[2]): Promise<T> {
    return call<T>((done) => this.node.read(options.serializable ? 'serializable' : 'linearizable', this.options.requestTimeoutMs, read as never, done));
  }

  async range(request: RangeRequest, options: ReadOptions): Promise<Answer<RangeResponse>> {
    const refusal = checkKvCommand({ type: 'range', request }, this.node.machine.kv.limits);
    if (refusal !== null) throw refusal;
    // A serializable read at a revision this member has not applied yet may only be lagging (the revision came from
    // another member, as STM clients do): it waits for ReadIndex like a linearizable one, then is truly in the future or not.
    const lagging = options.serializable && (request.revision ?? 0) > this.node.machine.kv.revision;
    const result = await this.read<ReturnType<CoreNode['machine']['kv']['range']>>(lagging ? { serializable: false } : options, (machine) => machine.kv.range(request));
    if (!result.ok) throw result.error;
    return this.answer(result.value, result.value.revision);
  }

  async put(request: PutRequest): Promise<Answer<PutResponse>> {
    const response = await this.write({ type: 'put', request });
    if (response.type !== 'put') throw new EtcdError('Internal', 'put answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async deleteRange(request: DeleteRangeRequest): Promise<Answer<DeleteRangeResponse>> {
    const response = await this.write({ type: 'delete-range', request });
    if (response.type !== 'delete-range') throw new EtcdError('Internal', 'delete answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async txn(request: TxnRequest, options: ReadOptions): Promise<Answer<TxnResponse>> {
    if (isReadOnlyTxn(request)) {
      const refusal = checkKvCommand({ type: 'txn', request }, this.node.machine.kv.limits);
      if (refusal !== null) throw refusal;
      const result = await this.read<KvResult<TxnResponse>>(options, (machine) => {
        // The store throws KvError for a bad request (a future revision, say): as a result, not an exception, inside the member.
        try {
          return { ok: true, value: machine.kv.store.txn(request) };
        } catch (error) {
          if (error instanceof KvError) return { ok: false, error };
          throw error;
        }
      });
      if (!result.ok) throw result.error;
      return this.answer(result.value, result.value.revision);
    }
    const response = await this.write({ type: 'txn', request });
    if (response.type !== 'txn') throw new EtcdError('Internal', 'txn answered with another type');
    return this.answer(response.response, response.response.revision);
  }

  async compact(revision: number, _physical: boolean): Promise<Answer<null>> {
    const response = await this.write({ type: 'compact', request: { revision } });
    if (response.type !== 'compact') throw new EtcdError('Internal', 'compact answered with another type');
    return this.answer(null, response.response.revision);
  }

  // ---- leases ----

  async leaseGrant(request: LeaseGrant): Promise<Answer<LeaseGrant>> {
    const response = await this.write({ type: 'lease-grant', request });
    if (response.type !== 'lease-grant') throw new EtcdError('Internal', 'lease grant answered with another type');
    return this.answer({ id: response.response.id, ttlSeconds: response.response.ttlSeconds });
  }

  async leaseRevoke(id: bigint): Promise<Answer<null>> {
    const response = await this.write({ type: 'lease-revoke', request: { id } });
    if (response.type !== 'lease-revoke') throw new EtcdError('Internal', 'lease revoke answered with another type');
    return this.answer(null, response.response.revision);
  }

  async leaseKeepAlive(id: bigint): Promise<Answer<LeaseGrant>> {
    const ttlSeconds = await call<number>((done) => this.node.leaseKeepAlive(id, done));
    return this.answer({ id, ttlSeconds });
  }

  async leaseTimeToLive(id: bigint, keys: boolean): Promise<Answer<LeaseTimeToLive>> {
    const ttl = await call((done: Completion<{ id: bigint; ttlSeconds: number; grantedTtlSeconds: number; keys: readonly Uint8Array[] }>) =>
      this.node.leaseTimeToLive(id, done));
    return this.answer({ ...ttl, keys: keys ? ttl.keys : [] });
  }

  async leaseLeases(): Promise<Answer<readonly bigint[]>> {
    return this.answer(this.node.machine.kv.leases().map((lease) => lease.id));
  }

  // ---- watch ----

  openWatchSession(): WatchSession {
    const router: WatchRouter = {
      hub: this.node.hub,
      header: () => this.header(),
      headerAt: (revision) => this.header(revision),
      route: (hubId, session) => {
        if (session === null) this.sessionsByHubId.delete(hubId);
        else this.sessionsByHubId.set(hubId, session);
      },
    };
    return new LocalWatchSession(router, this.maxWatchesPerStream);
  }

  // ---- maintenance ----

  async status(): Promise<Answer<MemberStatus>> {
    const status = this.node.status();
    const leader = status.leader === null ? 0n : this.node.machine.members.byNode(status.leader)?.id ?? 0n;
    const usedBytes = this.node.machine.kv.store.usedBytes;
    return this.answer({
      version: etcdApiVersion,
      dbSizeBytes: usedBytes,
      dbSizeInUseBytes: usedBytes,
      leader,
      raftIndex: status.commitIndex,
      raftTerm: status.term,
      raftAppliedIndex: status.machineAppliedIndex,
      errors: this.node.machine.alarmList().map((alarm) => `memberID:${alarm.memberId} alarm:${alarm.alarm.toUpperCase()} `),
      isLearner: this.node.isLearner(),
    });
  }

  async hashKv(revision: number): Promise<Answer<HashKv>> {
    const result = this.node.machine.kv.hashKv(revision);
    if (!result.ok) throw result.error;
    return this.answer({ hash: result.value.hash, compactRevision: result.value.compactRevision }, result.value.revision);
  }

  async hash(): Promise<Answer<number>> {
    const result = this.node.machine.kv.hashKv(0);
    if (!result.ok) throw result.error;
    return this.answer(result.value.hash);
  }

  async *snapshot(): AsyncIterable<Answer<SnapshotChunk>> {
    const snapshot = this.node.machine.kv.snapshot(new Uint8Array(0));
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
    if (action === 'get') {
      const all = this.node.machine.alarmList().map(toAlarmMember);
      return this.answer(all.filter((a) => alarm === 'none' || a.alarm === alarm));
    }
    if (alarm === 'none') return this.answer([]);
    const outcome = await call<CoreOutcome>((done) => this.node.propose({ type: 'alarm', action, memberId, alarm }, { timeoutMs: this.options.requestTimeoutMs }, done));
    if (!outcome.ok) throw etcdErrorOf(outcome.error);
    return this.answer((outcome.value as readonly AlarmRecord[]).map(toAlarmMember));
  }

  async moveLeader(targetId: bigint): Promise<Answer<null>> {
    // etcd accepts MoveLeader only on the leader (etcdctl finds it first).
    if (this.node.status().role !== 'leader') throw new EtcdError('FailedPrecondition', 'etcdserver: not leader');
    await call<void>((done) => this.node.moveLeader(targetId, this.options.requestTimeoutMs, done));
    return this.answer(null);
  }

  // ---- cluster ----

  private members(): Member[] {
    const config = this.node.status().config;
    return this.node.machine.members.list()
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((member) => toMember(member, config.learners.includes(member.node)));
  }

  /** The member list once this member has applied everything committed (a change made through the leader included). */
  private async membersCaughtUp(): Promise<Member[]> {
    // A member that just removed itself (the leader, say) answers with what it applied: it serves nothing more.
    if (this.node.isRemoved) return this.members();
    return this.read<Member[]>({ serializable: false }, () => this.members());
  }

  async memberList(): Promise<Answer<readonly Member[]>> {
    return this.answer(this.members());
  }

  async memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<Answer<{ member: Member; members: readonly Member[] }>> {
    const record = await call<MemberRecord | null>((done) => this.node.changeMembers({ type: 'add', peerUrls, isLearner }, done));
    if (record === null) throw new EtcdError('Internal', 'etcdserver: the added member is not in the member list');
    return this.answer({ member: toMember(record, isLearner), members: await this.membersCaughtUp() });
  }

  async memberRemove(id: bigint): Promise<Answer<readonly Member[]>> {
    await call<MemberRecord | null>((done) => this.node.changeMembers({ type: 'remove', id }, done));
    return this.answer(await this.membersCaughtUp());
  }

  async memberUpdate(id: bigint, peerUrls: readonly string[]): Promise<Answer<readonly Member[]>> {
    if (this.node.machine.members.byId(id) === undefined) throw new EtcdError('NotFound', etcdMessages.memberNotFound);
    const outcome = await call<CoreOutcome>((done) => this.node.propose({ type: 'member-update', memberId: id, peerUrls }, { timeoutMs: this.options.requestTimeoutMs }, done));
    if (!outcome.ok) throw etcdErrorOf(outcome.error);
    return this.answer(await this.membersCaughtUp());
  }

  async memberPromote(id: bigint): Promise<Answer<readonly Member[]>> {
    await call<MemberRecord | null>((done) => this.node.changeMembers({ type: 'promote', id }, done));
    return this.answer(await this.membersCaughtUp());
  }

  metricFamilies(): readonly MetricFamily[] {
    const status = this.node.status();
    const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
    const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ value }] });
    return [
      gauge('etcd_server_term', 'The current Raft term of this member.', status.term),
      counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.', this.node.counters.leaderChanges),
      counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.', this.node.counters.proposalsFailed),
      gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', status.pendingRequests),
      gauge('trellis_raft_applied_index', 'The last log index applied to the state machine.', status.machineAppliedIndex),
      gauge('trellis_raft_snapshot_index', 'The log index of the newest snapshot (the low-water mark).', status.snapshotIndex),
      gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', this.node.machine.kv.store.keyCount),
      gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', this.node.hub.watcherCount),
      gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.', this.node.machine.kv.limits.quotaBytes),
      gauge('trellis_idempotent_sessions', 'Client sessions the Idempotent Receiver remembers.', this.node.machine.sessionCount),
      ...(this.options.extraMetrics?.() ?? []),
    ];
  }

  announceClientUrls(urls: readonly string[]): void {
    this.node.publish(this.options.name, this.options.advertiseClientUrls ?? urls);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of new Set(this.sessionsByHubId.values())) session.close();
  }
}

function toMember(record: MemberRecord, isLearner: boolean): Member {
  return { id: record.id, name: record.name, peerUrls: record.peerUrls, clientUrls: record.clientUrls, isLearner };
}

function toAlarmMember(alarm: AlarmRecord): AlarmMember {
  return { memberId: alarm.memberId, alarm: alarm.alarm };
}

export { KvError };
