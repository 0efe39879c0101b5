// Idempotent Receiver: a request that arrives twice is applied once, and the
// second copy gets the first copy's answer. Every keyed request names its
// client session and a sequence number; the table remembers, per session,
// the results of its recent requests. The table is part of the replicated
// state (it travels in snapshots), and everything it decides comes from the
// log: sessions expire by the timestamps the entries carry, never by a
// member's own clock, so every member forgets the same sessions at the same
// entry. Proposers stamp entries from the log's clock and their monotonic
// clock, not their wall clock (log-clock.ts), so a member whose wall clock
// jumps cannot age every session at once.
//
// Bounded twice over: at most maxSessions sessions (the least recently used
// goes first) and at most maxResultsPerSession results per session (the
// oldest goes, and sequence numbers below it are refused from then on, since
// whether they applied can no longer be told).

import { assert } from '../assert.js';
import { BinaryReader, BinaryWriter } from '../kv/binary-codec.js';
import { type PlainValue, readValue, writeValue } from './value-codec.js';

export interface RequestId {
  /** Names the client: e.g. a member process, "<member id>.<boot nonce>". */
  readonly session: string;
  /** Increases with each new request of the session; a retry reuses its number. */
  readonly seq: number;
}

export function requestKey(id: RequestId): string {
  return `${id.session}#${id.seq}`;
}

export interface SessionLimits {
  readonly maxSessions: number;
  readonly maxResultsPerSession: number;
  /** A session unused for this long (by the log's clock) is forgotten. */
  readonly sessionIdleMs: number;
}

export const defaultSessionLimits: SessionLimits = { maxSessions: 4096, maxResultsPerSession: 2048, sessionIdleMs: 10 * 60 * 1000 };

export type Seen =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: PlainValue }
  /** Older than anything the session still remembers: it may or may not have applied. */
  | { readonly kind: 'forgotten' };

interface Session {
  readonly results: Map<number, PlainValue>;
  /** Sequence numbers below this were evicted. */
  floor: number;
  lastUsedMs: number;
}

const formatVersion = 1;

export class SessionTable {
  /** In least-recently-used order: a use moves a session to the end. */
  private sessions = new Map<string, Session>();
  /** The log's clock: the newest proposer timestamp applied so far. */
  private clockMs = 0;

  constructor(private readonly limits: SessionLimits = defaultSessionLimits) {
    assert(limits.maxSessions > 0 && limits.maxResultsPerSession > 0 && limits.sessionIdleMs > 0, 'session limits must be positive');
  }

  get size(): number {
    return this.sessions.size;
  }

  get logClockMs(): number {
    return this.clockMs;
  }

  /** Moves the log's clock to an applied entry's timestamp (never back) and forgets idle sessions. */
  advanceClock(proposedAtMs: number): void {
    if (proposedAtMs > this.clockMs) this.clockMs = proposedAtMs;
    const cutoff = this.clockMs - this.limits.sessionIdleMs;
    for (const [name, session] of this.sessions) {
      if (session.lastUsedMs >= cutoff) break;
      this.sessions.delete(name);
    }
  }

  lookup(id: RequestId): Seen {
    const session = this.sessions.get(id.session);
    if (session === undefined) return { kind: 'new' };
    if (session.results.has(id.seq)) return { kind: 'duplicate', result: session.results.get(id.seq) };
    return id.seq < session.floor ? { kind: 'forgotten' } : { kind: 'new' };
  }

  /** Records the result of a request applied now for the first time. */
  remember(id: RequestId, result: PlainValue): void {
    let session = this.sessions.get(id.session);
    if (session === undefined) {
      session = { results: new Map(), floor: 0, lastUsedMs: this.clockMs };
      if (this.sessions.size >= this.limits.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    } else {
      this.sessions.delete(id.session);
    }
    session.lastUsedMs = this.clockMs;
    this.sessions.set(id.session, session);
    session.results.set(id.seq, result);
    if (session.results.size > this.limits.maxResultsPerSession) {
      const [oldest] = session.results.keys();
      session.results.delete(oldest!);
      session.floor = Math.max(session.floor, oldest! + 1);
    }
  }

  encode(writer: BinaryWriter): void {
    writer.u8(formatVersion).varuint(this.clockMs).varuint(this.sessions.size);
    for (const [name, session] of this.sessions) {
      writer.bytes(new TextEncoder().encode(name)).varuint(session.floor).varuint(session.lastUsedMs).varuint(session.results.size);
      for (const [seq, result] of session.results) {
        writer.varuint(seq);
        writeValue(writer, result);
      }
    }
  }

  /** Replaces the whole table with one read from a snapshot; throws RangeError if malformed. */
  decode(reader: BinaryReader): void {
    const version = reader.u8();
    if (version !== formatVersion) throw new RangeError(`unknown session table format ${version}`);
    const clockMs = reader.varuint();
    const count = reader.varuint();
    const sessions = new Map<string, Session>();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i < count; i++) {
      const name = decoder.decode(reader.bytes());
      const floor = reader.varuint();
      const lastUsedMs = reader.varuint();
      const resultCount = reader.varuint();
      if (resultCount > reader.remaining) throw new RangeError(`${resultCount} results cannot fit in ${reader.remaining} bytes`);
      const results = new Map<number, PlainValue>();
      for (let j = 0; j < resultCount; j++) results.set(reader.varuint(), readValue(reader));
      sessions.set(name, { results, floor, lastUsedMs });
    }
    this.sessions = sessions;
    this.clockMs = clockMs;
  }
}

/** A fresh BinaryWriter, for callers that encode the table alone. */
export function encodeSessions(table: SessionTable): Uint8Array {
  const writer = new BinaryWriter(1024);
  table.encode(writer);
  return new Uint8Array(writer.finish());
}
