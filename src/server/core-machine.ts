// The consistent core's state machine: the MVCC key-value store (src/kv)
// plus what the cluster itself must agree on: the Idempotent Receiver's
// sessions, the member table and the alarms. Raft hands it committed entries
// in log order; everything it decides comes from those entries, so every
// member reaches the same state and gives the same answers.

import type { ClusterConfig, ConfigChange, Entry } from '../consensus/types.js';
import { members as configMembers } from '../consensus/config.js';
import { BinaryReader, BinaryWriter } from '../kv/binary-codec.js';
import { ClientError } from './client-errors.js';
import { KvError, type KvErrorCode } from '../kv/errors.js';
import type { KvCommand } from '../kv/kv-command.js';
import { KvStateMachine, type KvResponse } from '../kv/kv-state-machine.js';
import type { KvLimits } from '../kv/limits.js';
import { defaultSnapshotChunkBytes } from '../kv/kv-snapshot.js';
import { isReadOnlyTxn } from '../kv/request-checks.js';
import { type AlarmType, type CoreCommand, type CoreEntry, decodeCoreEntry } from './core-command.js';
import { type RequestId, type SessionLimits, SessionTable, defaultSessionLimits, requestKey } from './idempotent-receiver.js';
import { MemberTable, decodeMemberContext } from './member-table.js';
import type { StateMachine } from './state-machine.js';
import { type PlainValue, readValue, writeValue } from './value-codec.js';

export interface AlarmRecord {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

/** Failures that are not the key-value store's own, worded as etcd words them where etcd has them. */
export const coreErrorCodes = [
  'malformed-entry', 'request-forgotten', 'member-not-found', 'peer-urls-exist', 'not-a-learner', 'learner-not-ready',
  'bad-leader-transferee', 'invalid-peer-urls', 'not-enough-started-members', 'too-many-members',
] as const;
export type CoreErrorCode = (typeof coreErrorCodes)[number];

export class CoreError extends ClientError {
  constructor(readonly coreCode: CoreErrorCode, message: string) {
    // A forgotten request may have applied long ago; every other refusal changed nothing.
    super('refused', message, coreCode !== 'request-forgotten');
  }
}

export function isCoreErrorCode(code: string): code is CoreErrorCode {
  return (coreErrorCodes as readonly string[]).includes(code);
}

export type CoreValue = KvResponse | readonly AlarmRecord[] | null;
export type CoreOutcome = { readonly ok: true; readonly value: CoreValue } | { readonly ok: false; readonly error: KvError | CoreError };

export interface CoreResult {
  /** The request this entry answered, for keyed proposals; null for unkeyed entries. */
  readonly key: string | null;
  readonly outcome: CoreOutcome;
  /** True when the entry repeated a request already applied: the outcome is the first copy's. */
  readonly duplicate: boolean;
}

export interface CoreMachineOptions {
  readonly kvLimits?: Partial<KvLimits>;
  readonly sessions?: SessionLimits;
}

const extrasVersion = 1;

export class CoreMachine implements StateMachine<CoreResult> {
  readonly kv: KvStateMachine;
  readonly members = new MemberTable();
  private sessions: SessionTable;
  private alarms = new Map<string, AlarmRecord>();
  /** The voters and learners in force, as last applied (for alarms raised on every member). */
  private config: ClusterConfig = { voters: [], outgoingVoters: [], learners: [] };

  constructor(private readonly options: CoreMachineOptions = {}) {
    this.kv = new KvStateMachine(options.kvLimits);
    this.sessions = new SessionTable(options.sessions ?? defaultSessionLimits);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The log's clock: the newest entry timestamp applied (see log-clock.ts). */
  get logClockMs(): number {
    return this.sessions.logClockMs;
  }

  alarmList(): AlarmRecord[] {
    return [...this.alarms.values()];
  }

  hasNoSpaceAlarm(): boolean {
    for (const alarm of this.alarms.values()) if (alarm.alarm === 'nospace') return true;
    return false;
  }

  apply(entry: Entry): CoreResult {
    let decoded: CoreEntry;
    try {
      decoded = decodeCoreEntry(entry.data);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return { key: null, duplicate: false, outcome: { ok: false, error: new CoreError('malformed-entry', `malformed log entry ${entry.index}: ${error.message}`) } };
    }
    this.sessions.advanceClock(decoded.proposedAtMs);
    const id = decoded.requestId;
    const key = id === null ? null : requestKey(id);
    if (id !== null) {
      const seen = this.sessions.lookup(id);
      if (seen.kind === 'duplicate') return { key, duplicate: true, outcome: outcomeFromPlain(seen.result) };
      if (seen.kind === 'forgotten') {
        const message = `request ${key} is older than anything its session remembers: it may or may not have been applied`;
        return { key, duplicate: true, outcome: { ok: false, error: new CoreError('request-forgotten', message) } };
      }
    }
    const outcome = this.execute(decoded.command, entry.index);
    if (id !== null) this.sessions.remember(id as RequestId, outcomeToPlain(outcome));
    return { key, duplicate: false, outcome };
  }

  requestKey(result: CoreResult): string | null {
    return result.key;
  }

  applyConfig(_entry: Entry, change: ConfigChange, config: ClusterConfig): void {
    this.config = config;
    if (change.type === 'remove') {
      this.members.removed(change.node);
      return;
    }
    if (change.type === 'promote-learner') return;
    let context = null;
    if (change.context !== undefined) {
      try {
        context = decodeMemberContext(change.context);
      } catch {
        // A config entry whose context is unreadable still changes membership; the member is then known by its node id.
        context = null;
      }
    }
    this.members.added(change.node, context);
  }

  snapshot(): Uint8Array {
    return this.kv.snapshot(this.encodeExtras()).toBytes();
  }

  snapshotChunks(): Iterator<Uint8Array> {
    return this.kv.snapshot(this.encodeExtras()).chunks(defaultSnapshotChunkBytes, 'reuse-buffer');
  }

  restore(data: Uint8Array): void {
    const extras = this.kv.restore(data);
    this.decodeExtras(extras);
  }

  private execute(command: CoreCommand, index: number): CoreOutcome {
    switch (command.type) {
      case 'kv':
        return this.executeKv(command.command, index);
      case 'alarm':
        return { ok: true, value: this.changeAlarm(command.action, command.memberId, command.alarm) };
      case 'publish':
        this.members.published(command.node, command.name, command.clientUrls);
        return { ok: true, value: null };
      case 'member-update':
        if (!this.members.updatePeerUrls(command.memberId, command.peerUrls)) {
          return { ok: false, error: new CoreError('member-not-found', 'etcdserver: member not found') };
        }
        return { ok: true, value: null };
    }
  }

  private executeKv(command: KvCommand, index: number): CoreOutcome {
    // While NOSPACE is raised, anything that could grow the store is refused until an operator disarms it (etcd).
    if (this.hasNoSpaceAlarm() && growsStore(command)) return { ok: false, error: new KvError('no-space') };
    const result = this.kv.apply(command, index);
    if (result.ok) return { ok: true, value: result.value };
    if (result.error.code === 'no-space') {
      // Every member holds the same data, so every member crossed the quota at this entry.
      for (const node of configMembers(this.config)) {
        const member = this.members.byNode(node);
        if (member !== undefined) this.changeAlarm('activate', member.id, 'nospace');
      }
    }
    return { ok: false, error: result.error };
  }

  private changeAlarm(action: 'activate' | 'deactivate', memberId: bigint, alarm: AlarmType): AlarmRecord[] {
    const key = `${memberId}:${alarm}`;
    if (action === 'activate') {
      const record = { memberId, alarm };
      this.alarms.set(key, record);
      return [record];
    }
    const existing = this.alarms.get(key);
    this.alarms.delete(key);
    return existing === undefined ? [] : [existing];
  }

  private encodeExtras(): Uint8Array {
    const writer = new BinaryWriter(1024);
    writer.u8(extrasVersion);
    this.sessions.encode(writer);
    writeValue(writer, this.members.toPlain());
    writeValue(writer, this.alarmList().map((a) => ({ memberId: a.memberId, alarm: a.alarm })));
    writeValue(writer, { voters: [...this.config.voters], outgoingVoters: [...this.config.outgoingVoters], learners: [...this.config.learners] });
    return new Uint8Array(writer.finish());
  }

  private decodeExtras(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      // A snapshot of a bare key-value store (e.g. `etcdctl snapshot save` of a single member): no sessions, members or alarms.
      this.sessions = new SessionTable(this.options.sessions ?? defaultSessionLimits);
      this.alarms = new Map();
      return;
    }
    const reader = new BinaryReader(bytes);
    const version = reader.u8();
    if (version !== extrasVersion) throw new RangeError(`unknown consistent-core snapshot extras format ${version}`);
    const sessions = new SessionTable(this.options.sessions ?? defaultSessionLimits);
    sessions.decode(reader);
    const members = readValue(reader);
    const alarms = readValue(reader);
    const config = readValue(reader) as { voters: string[]; outgoingVoters: string[]; learners: string[] };
    this.sessions = sessions;
    this.members.restore(members);
    this.alarms = new Map();
    for (const item of alarms as { memberId: bigint; alarm: AlarmType }[]) this.alarms.set(`${item.memberId}:${item.alarm}`, { memberId: item.memberId, alarm: item.alarm });
    this.config = config as unknown as ClusterConfig;
  }
}

function growsStore(command: KvCommand): boolean {
  return command.type === 'put' || command.type === 'lease-grant' || (command.type === 'txn' && !isReadOnlyTxn(command.request));
}

function outcomeToPlain(outcome: CoreOutcome): PlainValue {
  if (outcome.ok) return { ok: true, value: outcome.value as unknown as PlainValue };
  const error = outcome.error;
  return error instanceof KvError
    ? { ok: false, kind: 'kv', code: error.code, detail: error.detail ?? null }
    : { ok: false, kind: 'core', code: error.coreCode, message: error.message };
}

function outcomeFromPlain(plain: PlainValue): CoreOutcome {
  const body = plain as Record<string, PlainValue>;
  if (body['ok'] === true) return { ok: true, value: body['value'] as unknown as CoreValue };
  if (body['kind'] === 'kv') {
    const detail = body['detail'];
    return { ok: false, error: new KvError(body['code'] as KvErrorCode, typeof detail === 'string' ? detail : undefined) };
  }
  return { ok: false, error: new CoreError(body['code'] as CoreErrorCode, String(body['message'])) };
}
