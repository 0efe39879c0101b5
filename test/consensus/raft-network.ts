// A tiny synchronous network for Raft cores, in the spirit of etcd-io/raft's
// interaction tests: the test decides exactly which message is delivered,
// dropped or delayed, when each node ticks, and when a node crashes (losing
// everything it had not yet persisted). Each node carries out its Readys the
// way the real node must: send `messages`, persist, send
// `messagesAfterPersist`, apply, advance.

import { logIndex, nodeId, term, type LogIndex, type NodeId } from '../../src/ids.js';
import { RaftCore } from '../../src/consensus/raft-core.js';
import type { RaftMessage } from '../../src/consensus/messages.js';
import type { RaftOptions } from '../../src/consensus/options.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { readWholeSnapshot, snapshotDataOf } from '../../src/consensus/snapshot-data.js';
import type {
  ClusterConfig, Entry, HardState, Placement, RaftStatus, ReadState, Ready, Refusal, RestoredState, Snapshot,
} from '../../src/consensus/types.js';

export const jupiter = nodeId('jupiter');
export const saturn = nodeId('saturn');
export const neptune = nodeId('neptune');
export const mercury = nodeId('mercury');
export const venus = nodeId('venus');

export interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: RaftMessage;
}

/** What a node has on disk. */
interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly kind: string;
  readonly data: string;
}

const text = new TextDecoder();
const bytes = new TextEncoder();

export class RaftNode {
  core: RaftCore;
  readonly disk: Disk = { hardState: { term: term(0), vote: null, commit: logIndex(0) }, snapshot: null, entries: [] };
  /** The state machine: every entry applied, in order (a snapshot restores the list it captured). */
  applied: AppliedEntry[] = [];
  readStates: ReadState[] = [];
  down = false;
  /**
   * The node's disk is stalled: it takes one Ready and sends its early
   * `messages`, but the write (and everything after it) waits in
   * pendingReady until the disk resumes.
   */
  diskStalled = false;
  pendingReady: Ready<RaftMessage> | null = null;
  restarts = 0;

  constructor(
    readonly id: NodeId,
    private readonly options: Omit<RaftOptions, 'id' | 'random'>,
    private readonly bootstrap: ClusterConfig,
    private readonly seed: number,
  ) {
    this.core = this.build();
  }

  status(): RaftStatus {
    return this.core.status();
  }

  /** The data of applied normal entries, e.g. ['boston=10']. */
  values(): string[] {
    return this.applied.filter((entry) => entry.kind === 'normal').map((entry) => entry.data);
  }

  /** Rebuilds the core from what is on disk, as a restart after a crash does. */
  restart(): void {
    this.restarts++;
    this.down = false;
    this.diskStalled = false;
    this.pendingReady = null;
    this.readStates = [];
    this.applied = this.disk.snapshot === null ? [] : decodeMachine(readWholeSnapshot(this.disk.snapshot.data));
    this.core = this.build();
  }

  /** Takes a snapshot of the state machine at its applied index and lets the core release the log below it. */
  takeSnapshot(): Snapshot {
    const index = this.core.status().appliedIndex;
    const data = snapshotDataOf(encodeMachine(this.applied));
    const meta = this.core.snapshotTaken(index, data);
    const snapshot = { meta, data };
    this.disk.snapshot = snapshot;
    this.disk.entries = this.disk.entries.filter((entry) => entry.index > index);
    return snapshot;
  }

  persist(ready: Ready<RaftMessage>): void {
    if (ready.snapshot !== null) {
      this.disk.snapshot = ready.snapshot;
      this.disk.entries = []; // a snapshot from the leader replaces the whole log
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!.index;
      this.disk.entries = this.disk.entries.filter((entry) => entry.index < first);
      this.disk.entries.push(...ready.entries);
    }
    if (ready.hardState !== null) this.disk.hardState = ready.hardState;
  }

  apply(ready: Ready<RaftMessage>): void {
    if (ready.snapshot !== null) this.applied = decodeMachine(readWholeSnapshot(ready.snapshot.data));
    for (const entry of ready.committed) {
      const last = this.applied[this.applied.length - 1];
      if (last !== undefined && last.index !== entry.index - 1) throw new Error(`${this.id} applied ${entry.index} after ${last.index}`);
      this.applied.push({ index: entry.index, term: entry.term, kind: entry.kind, data: text.decode(entry.data) });
    }
    this.readStates.push(...ready.readStates);
  }

  private build(): RaftCore {
    const restored: RestoredState = {
      hardState: this.disk.hardState,
      snapshot: this.disk.snapshot?.meta ?? null,
      entries: this.disk.entries.slice(),
      ...(this.disk.snapshot === null ? {} : { snapshotData: this.disk.snapshot.data }),
    };
    return new RaftCore({ ...this.options, id: this.id, random: new SeededRandom(this.seed * 31 + this.restarts) }, restored, this.bootstrap);
  }
}

function encodeMachine(applied: readonly AppliedEntry[]): Uint8Array {
  return bytes.encode(JSON.stringify(applied));
}

function decodeMachine(data: Uint8Array): AppliedEntry[] {
  return data.length === 0 ? [] : (JSON.parse(text.decode(data)) as AppliedEntry[]);
}

export interface NetworkOptions {
  readonly nodes: readonly NodeId[];
  /** Nodes started later with an empty config (they join through membership changes). */
  readonly spares?: readonly NodeId[];
  readonly raft?: Omit<RaftOptions, 'id' | 'random'>;
  /** Per-node overrides, e.g. to plant a bug in one node. */
  readonly perNode?: Partial<Record<string, Omit<RaftOptions, 'id' | 'random'>>>;
  readonly seed?: number;
}

export class RaftNetwork {
  readonly nodes = new Map<NodeId, RaftNode>();
  /** Messages sent and not yet delivered, in send order. */
  inFlight: InFlight[] = [];
  /** A message is dropped when any of these says so. */
  private readonly dropRules: ((message: InFlight) => boolean)[] = [];
  private readonly rewriteRules: ((message: InFlight) => RaftMessage | null)[] = [];
  /** Every message delivered so far, in order (tests may clear it). */
  delivered: InFlight[] = [];
  /** Every (term, leader) ever observed, to check Election Safety. */
  readonly leadersByTerm = new Map<number, NodeId>();
  readonly electionSafetyViolations: string[] = [];
  /**
   * The first entry any node applied at each index, to check State Machine
   * Safety; appliedInTerm is the lowest term a node was in when applying it,
   * so the entry was committed in that term or earlier.
   */
  readonly appliedByIndex = new Map<number, { readonly node: NodeId; readonly term: number; readonly data: string; readonly appliedInTerm: number }>();
  readonly stateMachineSafetyViolations: string[] = [];

  constructor(options: NetworkOptions) {
    const config: ClusterConfig = { voters: options.nodes, outgoingVoters: [], learners: [] };
    const empty: ClusterConfig = { voters: [], outgoingVoters: [], learners: [] };
    const all = [...options.nodes, ...(options.spares ?? [])];
    all.forEach((id, i) => {
      const raft = { electionTicks: 10, heartbeatTicks: 1, ...options.raft, ...options.perNode?.[id] };
      this.nodes.set(id, new RaftNode(id, raft, options.nodes.includes(id) ? config : empty, (options.seed ?? 1) * 100 + i));
    });
    for (const id of all) this.process(id);
  }

  node(id: NodeId): RaftNode {
    const found = this.nodes.get(id);
    if (found === undefined) throw new Error(`no node ${id}`);
    return found;
  }

  // ---- faults ----

  /** Cuts a node off from everyone, both ways. */
  isolate(id: NodeId): void {
    this.dropRules.push((m) => m.from === id || m.to === id);
  }

  /** Drops messages matching a predicate until heal(). */
  drop(predicate: (message: InFlight) => boolean): void {
    this.dropRules.push(predicate);
  }

  cut(a: NodeId, b: NodeId): void {
    this.dropRules.push((m) => (m.from === a && m.to === b) || (m.from === b && m.to === a));
  }

  /** Changes (or, returning null, drops) messages in transit until heal(): a precise fault such as losing part of an append. */
  rewrite(rule: (message: InFlight) => RaftMessage | null): void {
    this.rewriteRules.push(rule);
  }

  heal(): void {
    this.dropRules.length = 0;
    this.rewriteRules.length = 0;
  }

  /** The node stops: no ticks, no deliveries; what it did not persist is lost. */
  crash(id: NodeId): void {
    this.node(id).down = true;
    // What it already sent is on the wire and may still arrive; what was on its way to it is lost.
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
  }

  restart(id: NodeId): void {
    this.node(id).restart();
    this.process(id);
  }

  /**
   * The node sends its Ready's early `messages` and crashes before its disk
   * write completes: the next Ready's entries, hard state and
   * after-persist messages are lost.
   */
  crashBeforePersist(id: NodeId): void {
    const node = this.node(id);
    this.crash(id);
    // A stalled node already sent its pending Ready's early messages; that Ready's write is what the crash loses.
    if (node.pendingReady === null && node.core.hasReady()) {
      const ready = node.core.takeReady();
      // These left before the crash, so they still arrive.
      for (const out of ready.messages) this.inFlight.push({ from: id, to: out.to, message: out.message });
    }
  }

  // ---- driving ----

  tick(id: NodeId, times = 1): void {
    const node = this.node(id);
    for (let i = 0; i < times && !node.down; i++) {
      node.core.tick();
      this.process(id);
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /**
   * Takes the node's Ready and sends its early `messages`, leaving the disk
   * write in progress; `finish` completes it (persist, send the rest, apply,
   * advance). Lets a test act while a node's fsync is still running.
   */
  beginReady(id: NodeId): { readonly ready: Ready<RaftMessage>; finish(): void } {
    const node = this.node(id);
    const ready = node.core.takeReady();
    for (const out of ready.messages) this.inFlight.push({ from: id, to: out.to, message: out.message });
    return {
      ready,
      finish: () => {
        node.persist(ready);
        for (const out of ready.messagesAfterPersist) this.inFlight.push({ from: id, to: out.to, message: out.message });
        node.apply(ready);
        for (const entry of ready.committed) this.observeApplied(id, entry);
        node.core.advance(ready);
        this.process(id);
      },
    };
  }

  /** Carries out every Ready the node has. */
  process(id: NodeId): void {
    const node = this.node(id);
    if (node.down) return;
    if (node.diskStalled) {
      if (node.pendingReady === null && node.core.hasReady()) {
        node.pendingReady = node.core.takeReady();
        for (const out of node.pendingReady.messages) this.inFlight.push({ from: id, to: out.to, message: out.message });
      }
      return;
    }
    if (node.pendingReady !== null) {
      const ready = node.pendingReady;
      node.pendingReady = null;
      this.completeReady(node, ready);
    }
    for (let guard = 0; node.core.hasReady(); guard++) {
      if (guard > 1000) throw new Error(`${id} keeps producing Readys`);
      const ready = node.core.takeReady();
      for (const out of ready.messages) this.inFlight.push({ from: id, to: out.to, message: out.message });
      this.completeReady(node, ready);
    }
    this.observeLeader(node);
  }

  /** The disk write finished: resume carrying out Readys. */
  resumeDisk(id: NodeId): void {
    this.node(id).diskStalled = false;
    this.process(id);
  }

  private completeReady(node: RaftNode, ready: Ready<RaftMessage>): void {
    const id = node.id;
    {
      node.persist(ready);
      for (const out of ready.messagesAfterPersist) this.inFlight.push({ from: id, to: out.to, message: out.message });
      node.apply(ready);
      for (const entry of ready.committed) this.observeApplied(id, entry);
      node.core.advance(ready);
      this.observeLeader(node);
    }
  }

  /** Delivers (or drops) every message now in flight, once; messages they cause stay in flight. */
  deliverAll(): number {
    const batch = this.inFlight;
    this.inFlight = [];
    for (const message of batch) this.deliver(message);
    return batch.length;
  }

  /** Delivers messages until none are left (or none can move). */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) if (this.deliverAll() === 0) return;
    throw new Error('network did not settle');
  }

  /** Delivers only the in-flight messages matching a predicate; the rest stay in flight. */
  deliverWhere(predicate: (message: InFlight) => boolean): number {
    const chosen = this.inFlight.filter(predicate);
    this.inFlight = this.inFlight.filter((m) => !predicate(m));
    for (const message of chosen) this.deliver(message);
    return chosen.length;
  }

  /** Removes in-flight messages matching a predicate, as a lossy link would. */
  discardWhere(predicate: (message: InFlight) => boolean): number {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((m) => !predicate(m));
    return before - this.inFlight.length;
  }

  deliver(message: InFlight): void {
    const target = this.nodes.get(message.to);
    if (target === undefined || target.down) return;
    if (this.dropRules.some((rule) => rule(message))) return;
    for (const rule of this.rewriteRules) {
      const rewritten = rule(message);
      if (rewritten === null) return;
      message = { from: message.from, to: message.to, message: rewritten };
    }
    this.delivered.push(message);
    target.core.step(message.from, message.message);
    this.process(message.to);
  }

  /** Lets `id` time out and campaign, then delivers until the cluster settles. */
  campaign(id: NodeId): void {
    const node = this.node(id);
    const start = node.status();
    const unchanged = () => node.status().role === start.role && node.status().term === start.term;
    for (let i = 0; i < 1000 && unchanged(); i++) this.tick(id);
    this.stabilize();
  }

  /** Elects `id` and settles; fails the test if it did not win. */
  elect(id: NodeId): RaftNode {
    this.campaign(id);
    const status = this.node(id).status();
    if (status.role !== 'leader') throw new Error(`${id} did not win the election: it is ${status.role} in term ${status.term}`);
    return this.node(id);
  }

  /** Runs the cluster: each round every live node ticks once, then the network settles. */
  run(rounds: number): void {
    for (let i = 0; i < rounds; i++) {
      this.tickAll();
      this.stabilize();
    }
  }

  /** Heartbeat rounds: ticks the leader(s) only, delivering after each tick. */
  heartbeat(rounds = 1): void {
    for (let i = 0; i < rounds; i++) {
      for (const node of this.nodes.values()) if (!node.down && node.status().role === 'leader') this.tick(node.id);
      this.stabilize();
    }
  }

  propose(id: NodeId, data: string): Placement | Refusal {
    const result = this.node(id).core.propose(bytes.encode(data));
    this.process(id);
    return result;
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => !n.down && n.status().role === 'leader').map((n) => n.id);
  }

  private observeApplied(id: NodeId, entry: Entry): void {
    const known = this.appliedByIndex.get(entry.index);
    const data = text.decode(entry.data);
    const appliedInTerm = this.node(id).status().term;
    if (known === undefined) this.appliedByIndex.set(entry.index, { node: id, term: entry.term, data, appliedInTerm });
    else if (appliedInTerm < known.appliedInTerm) this.appliedByIndex.set(entry.index, { ...known, appliedInTerm });
    else if (known.term !== entry.term || known.data !== data) {
      this.stateMachineSafetyViolations.push(`index ${entry.index}: ${known.node} applied term ${known.term} '${known.data}', ${id} applied term ${entry.term} '${data}'`);
    }
  }

  private observeLeader(node: RaftNode): void {
    const status = node.core.status();
    if (status.role !== 'leader') return;
    const known = this.leadersByTerm.get(status.term);
    if (known === undefined) this.leadersByTerm.set(status.term, node.id);
    else if (known !== node.id) {
      const violation = `term ${status.term}: ${known} and ${node.id}`;
      if (!this.electionSafetyViolations.includes(violation)) this.electionSafetyViolations.push(violation);
    }
  }
}

export function isPlacement(result: Placement | Refusal): result is Placement {
  return !('reason' in result);
}

export function placed(result: Placement | Refusal): Placement {
  if (!isPlacement(result)) throw new Error(`proposal refused: ${JSON.stringify(result)}`);
  return result;
}

export const at = (index: number): LogIndex => logIndex(index);
