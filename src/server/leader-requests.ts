// What only the leader can answer, asked from any member: a lease keep-alive
// and a lease's remaining time (only the leader's Lessor counts leases down)
// and membership changes (only the leader proposes config entries). On the
// leader these run at once; a follower sends them to the leader it knows
// and relays the answer, as etcd's followers forward keep-alives.

import { type NodeId, nodeId } from '../ids.js';
import type { RaftMessage } from '../consensus/messages.js';
import type { ConfigChange } from '../consensus/types.js';
import type { Lessor } from '../kv/lessor.js';
import type { Clock } from '../runtime/clock.js';
import type { Timers } from '../runtime/timers.js';
import { type ClientError, type Completion, type Outcome, notLeader } from './client-errors.js';
import { bigintField, record, stringsField } from './core-command.js';
import { CoreError, type CoreMachine, type CoreResult, isCoreErrorCode } from './core-machine.js';
import { type MemberRecord, encodeMemberContext, memberIdFromText } from './member-table.js';
import { PeerRefusal, type PeerReply, type PeerRequests } from './peer-requests.js';
import type { RaftNode } from './raft-node.js';
import type { PlainValue } from './value-codec.js';

export interface LeaseTtl {
  readonly id: bigint;
  /** Seconds left; -1 when the lease does not exist or has expired (etcd's answer). */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly keys: readonly Uint8Array[];
}

export type MemberChangeRequest =
  /** `node` and `id` are for the simulator, which names its members; a real MemberAdd lets the leader choose. */
  | { readonly type: 'add'; readonly peerUrls: readonly string[]; readonly isLearner: boolean; readonly node?: NodeId; readonly id?: bigint }
  | { readonly type: 'remove'; readonly id: bigint }
  | { readonly type: 'promote'; readonly id: bigint };

export interface LeaderRequestsOptions {
  readonly id: NodeId;
  readonly raft: RaftNode<RaftMessage, CoreResult, CoreMachine>;
  readonly machine: CoreMachine;
  readonly lessor: Lessor;
  readonly peers: PeerRequests;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly timeoutMs: number;
}

export class LeaderRequests {
  constructor(private readonly options: LeaderRequestsOptions) {
    options.peers.onRequest((from, kind, body, reply) => this.serve(from, kind, body, reply));
  }

  keepAlive(id: bigint, done: Completion<number>): void {
    this.route('lease-keepalive', { id }, done, (reply) => this.keepAliveHere(id, reply), (value) => Number(value));
  }

  timeToLive(id: bigint, done: Completion<LeaseTtl>): void {
    this.route('lease-ttl', { id }, done, (reply) => reply(this.timeToLiveHere(id)), decodeTtl);
  }

  changeMembers(request: MemberChangeRequest, done: Completion<MemberRecord | null>): void {
    const body: PlainValue = request.type === 'add'
      ? { type: 'add', peerUrls: [...request.peerUrls], isLearner: request.isLearner, node: request.node ?? null, id: request.id ?? null }
      : { type: request.type, id: request.id };
    this.route('members', body, done, (reply) => this.changeMembersHere(request, reply), decodeMember);
  }

  // ---- routing ----

  /**
   * Runs `here` on the leader, or asks the leader and decodes its answer.
   * While no leader is known (an election is on), or the member asked says it
   * no longer leads, it tries again every retryMs until its deadline: these
   * requests are safe to repeat, and a client would rather wait out an
   * election than be told "no leader".
   */
  private route<T>(kind: string, body: PlainValue, done: Completion<T>, here: (reply: (outcome: Outcome<PlainValue>) => void) => void, decode: (value: PlainValue) => T): void {
    const finish = (outcome: Outcome<PlainValue>): void => {
      if (!outcome.ok) return done(outcome);
      try {
        done({ ok: true, value: decode(outcome.value) });
      } catch (error) {
        done({ ok: false, error: new PeerRefusal('malformed-answer', `malformed answer from the leader: ${(error as Error).message}`) });
      }
    };
    const deadlineMs = this.options.clock.monotonicNowMs() + this.options.timeoutMs;
    const attempt = (): void => {
      const status = this.options.raft.status();
      const retry = (error: ClientError): void => {
        if (this.options.raft.isStopped || this.options.clock.monotonicNowMs() + retryMs >= deadlineMs) return done({ ok: false, error });
        this.options.timers.schedule(retryMs, attempt);
      };
      if (status.role === 'leader') return here(finish);
      if (status.leader === null) return retry(notLeader(null));
      const leftMs = Math.max(1, deadlineMs - this.options.clock.monotonicNowMs());
      this.options.peers.request(status.leader, kind, body, leftMs, (outcome) => {
        if (outcome.ok || !(outcome.error instanceof PeerRefusal)) return finish(outcome);
        const refusal = outcome.error;
        if (refusal.peerCode === 'not-leader') return retry(notLeader(null));
        finish({ ok: false, error: isCoreErrorCode(refusal.peerCode) ? new CoreError(refusal.peerCode, refusal.message) : refusal });
      });
    };
    attempt();
  }

  private serve(_from: NodeId, kind: string, body: PlainValue, reply: PeerReply): void {
    const answer = (outcome: Outcome<PlainValue>): void => {
      if (outcome.ok) return reply({ ok: true, value: outcome.value });
      const error: ClientError = outcome.error;
      reply({ ok: false, code: error instanceof CoreError ? error.coreCode : error.code, message: error.message });
    };
    if (this.options.raft.status().role !== 'leader') {
      return answer({ ok: false, error: notLeader(this.options.raft.status().leader) });
    }
    try {
      const fields = record(body);
      if (kind === 'lease-keepalive') return this.keepAliveHere(bigintField(fields, 'id'), answer);
      if (kind === 'lease-ttl') return answer(this.timeToLiveHere(bigintField(fields, 'id')));
      if (kind === 'members') return this.changeMembersHere(decodeMemberRequest(fields), answer);
      answer({ ok: false, error: new PeerRefusal('unknown-kind', `unknown request ${kind}`) });
    } catch (error) {
      answer({ ok: false, error: new PeerRefusal('malformed-request', `malformed ${kind} request: ${(error as Error).message}`) });
    }
  }

  // ---- on the leader ----

  /**
   * Renews only once a heartbeat round has confirmed this member still leads
   * and it has applied everything committed before (ReadIndex), as etcd's
   * LeaseRenew ensures leadership and waits for the applied index: a deposed
   * leader waking from a pause would otherwise renew a lease its successor
   * counts down, or call it gone; a new leader that has not yet applied the
   * grant would call it unknown.
   */
  private keepAliveHere(id: bigint, reply: (outcome: Outcome<PlainValue>) => void): void {
    this.options.raft.readLinearizable(() => this.renewHere(id), { timeoutMs: this.options.timeoutMs }, (outcome) => reply(outcome.ok ? outcome.value : outcome));
  }

  private renewHere(id: bigint): Outcome<PlainValue> {
    const renewed = this.options.lessor.renew(id);
    if (!renewed.ok && renewed.reason === 'not-leader') return { ok: false, error: notLeader(this.options.raft.status().leader) };
    return { ok: true, value: renewed.ok ? renewed.ttlSeconds : 0 };
  }

  private timeToLiveHere(id: bigint): Outcome<PlainValue> {
    const info = this.options.machine.kv.leaseInfo(id);
    const remaining = this.options.lessor.remainingSeconds(id);
    if (info === null || remaining === null) return { ok: true, value: { id, ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] } };
    return { ok: true, value: { id, ttlSeconds: remaining, grantedTtlSeconds: info.grantedTtlSeconds, keys: info.keys.map((key) => key.slice()) } };
  }

  /**
   * etcd's strict reconfiguration check: a change that would leave fewer
   * started voters (members that have run and published themselves) than a
   * quorum of the new voter set is refused, because the cluster could not
   * commit anything afterwards. Stricter than etcd in one case: etcd lets a
   * single-member cluster add a second voter before it starts, which stops
   * all writes until it does; Trellis asks for a learner instead.
   */
  private strictReconfigCheck(request: MemberChangeRequest): CoreError | null {
    const members = this.options.machine.members;
    const config = this.options.raft.status().config;
    const started = (node: NodeId): boolean => (members.byNode(node)?.name ?? '') !== '';
    if (request.type === 'add' && members.list().length >= maxMembers) {
      return new CoreError('too-many-members', `etcdserver: too many members: a cluster holds at most ${maxMembers}`);
    }
    let voters = [...config.voters];
    let counted: NodeId | null = null;
    if (request.type === 'add' && !request.isLearner) voters = [...voters, nodeId('(new member)')];
    else if (request.type === 'promote') {
      const learner = members.byId(request.id);
      if (learner === undefined || !config.learners.includes(learner.node)) return null;
      voters = [...voters, learner.node];
      counted = learner.node;
    } else if (request.type === 'remove') {
      const leaving = members.byId(request.id);
      if (leaving === undefined || !config.voters.includes(leaving.node)) return null;
      voters = voters.filter((node) => node !== leaving.node);
    } else {
      return null;
    }
    const quorum = Math.floor(voters.length / 2) + 1;
    const startedVoters = voters.filter((node) => node === counted || started(node)).length;
    if (startedVoters >= quorum) return null;
    return new CoreError('not-enough-started-members', 'etcdserver: re-configuration failed due to not enough started members');
  }

  private changeMembersHere(request: MemberChangeRequest, reply: (outcome: Outcome<PlainValue>) => void): void {
    const members = this.options.machine.members;
    const refusal = this.strictReconfigCheck(request);
    if (refusal !== null) return reply({ ok: false, error: refusal });
    let change: ConfigChange;
    if (request.type === 'add') {
      if (request.peerUrls.length === 0) return reply({ ok: false, error: new CoreError('invalid-peer-urls', 'etcdserver: member peer URLs are not provided') });
      const taken = members.list().some((member) => member.peerUrls.some((url) => request.peerUrls.includes(url)));
      if (taken) return reply({ ok: false, error: new CoreError('peer-urls-exist', 'etcdserver: Peer URLs already exists') });
      const id = request.id ?? memberIdFromText(`${[...request.peerUrls].sort().join(',')}@${this.options.clock.wallNowMs()}`);
      const node = request.node ?? nodeId(id.toString(16).padStart(16, '0'));
      change = { type: request.isLearner ? 'add-learner' : 'add-voter', node, context: encodeMemberContext({ id, name: '', peerUrls: request.peerUrls }) };
    } else {
      const member = members.byId(request.id);
      if (member === undefined) return reply({ ok: false, error: new CoreError('member-not-found', 'etcdserver: member not found') });
      if (request.type === 'promote' && !this.options.raft.status().config.learners.includes(member.node)) {
        return reply({ ok: false, error: new CoreError('not-a-learner', 'etcdserver: can only promote a learner member') });
      }
      change = { type: request.type === 'remove' ? 'remove' : 'promote-learner', node: member.node };
    }
    this.options.raft.changeMembership(change, { timeoutMs: this.options.timeoutMs }, (outcome) => {
      if (!outcome.ok) {
        const notReady = change.type === 'promote-learner' && outcome.error.message.includes('learner not ready');
        return reply(notReady ? { ok: false, error: new CoreError('learner-not-ready', 'etcdserver: can only promote a learner member which is in sync with leader') } : outcome);
      }
      const member = members.byNode(change.node);
      reply({ ok: true, value: member === undefined ? null : memberToPlain(member) });
    });
  }
}

/** How often a request that found no leader looks again. */
const retryMs = 50;

/** Members the cluster may hold at once; beyond it MemberAdd is refused (etcd sets no bound, and advises 7 at most). */
export const maxMembers = 64;

function memberToPlain(member: MemberRecord): PlainValue {
  return { node: member.node, id: member.id, name: member.name, peerUrls: [...member.peerUrls], clientUrls: [...member.clientUrls] };
}

function decodeMember(value: PlainValue): MemberRecord | null {
  if (value === null) return null;
  const body = record(value);
  return {
    node: nodeId(String(body['node'])), id: bigintField(body, 'id'), name: String(body['name']),
    peerUrls: stringsField(body, 'peerUrls'), clientUrls: stringsField(body, 'clientUrls'),
  };
}

function decodeTtl(value: PlainValue): LeaseTtl {
  const body = record(value);
  const keys = body['keys'];
  if (!Array.isArray(keys) || !keys.every((key) => key instanceof Uint8Array)) throw new RangeError('keys must be byte strings');
  return { id: bigintField(body, 'id'), ttlSeconds: Number(body['ttlSeconds']), grantedTtlSeconds: Number(body['grantedTtlSeconds']), keys: keys as Uint8Array[] };
}

function decodeMemberRequest(body: Record<string, PlainValue>): MemberChangeRequest {
  const type = body['type'];
  if (type === 'add') {
    const node = body['node'];
    const id = body['id'];
    return {
      type, peerUrls: stringsField(body, 'peerUrls'), isLearner: body['isLearner'] === true,
      ...(typeof node === 'string' ? { node: nodeId(node) } : {}), ...(typeof id === 'bigint' ? { id } : {}),
    };
  }
  if (type === 'remove' || type === 'promote') return { type, id: bigintField(body, 'id') };
  throw new RangeError(`unknown membership change ${String(type)}`);
}
