// The story `trellis demo raft` tells: three planets run Raft in the
// deterministic simulator, and each step injects one event and shows what
// every node now holds. The story is computed, not scripted: every number in
// it comes from the running nodes, so it doubles as a test of the patterns it
// names (test/cli/demo-raft.test.ts asserts its facts).

import { nodeId, type NodeId } from '../ids.js';
import type { ClientError, Outcome } from '../server/client-errors.js';
import type { KvResult } from '../server/kv-register-machine.js';
import { RaftCluster } from '../sim/swarm/raft-cluster.js';

export const demoPlanets = ['jupiter', 'saturn', 'neptune'] as const;
export const defaultDemoSeed = 7;
/** Every wait in the story is bounded; a story that cannot finish says where it stuck. */
const stepLimitMs = 15_000;
/** Long enough that alice's write fails because leadership moved, not because she gave up. */
const aliceTimeoutMs = 20_000;

export interface NodeRow {
  readonly node: string;
  /** 'leader', 'follower', 'pre-candidate', 'candidate', or 'down' for a crashed process. */
  readonly role: string;
  readonly term: number;
  readonly lastIndex: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** The widget counts its state machine holds. */
  readonly widgets: string;
  /** What cuts it off, if anything. */
  readonly note: string;
}

export interface StoryStep {
  readonly title: string;
  readonly patterns: readonly string[];
  readonly explanation: readonly string[];
  readonly atMs: number;
  readonly table: readonly NodeRow[];
}

export interface RaftDemoFacts {
  readonly firstLeader: NodeId;
  readonly firstTerm: number;
  readonly heartbeatsInQuietSecond: number;
  readonly termAfterQuietSecond: number;
  readonly bostonIndex: number;
  /** Nodes holding boston's entry when the leader acknowledged it. */
  readonly holdersAtCommit: readonly string[];
  readonly secondLeader: NodeId;
  readonly secondTerm: number;
  readonly aliceIndex: number;
  readonly aliceEntryTerm: number;
  readonly aliceError: { readonly code: string; readonly message: string };
  readonly oldLeaderRoleAfterHeal: string;
  readonly termAtAliceIndexAfterHeal: number | undefined;
  readonly oldLeaderLondonAfterHeal: string | null;
  readonly restarted: NodeId;
  readonly beforeCrash: { readonly term: number; readonly lastIndex: number };
  readonly afterRestart: { readonly term: number; readonly lastIndex: number };
  readonly restartedPuneAfterCatchUp: string | null;
}

export interface RaftDemoStory {
  readonly seed: number;
  readonly steps: readonly StoryStep[];
  readonly facts: RaftDemoFacts;
  /** Safety properties the monitor saw broken (none, or the demo has found a bug). */
  readonly violations: readonly string[];
  readonly traceDigest: string;
  readonly simulatedMs: number;
}

export async function runRaftDemo(seed = defaultDemoSeed): Promise<RaftDemoStory> {
  let heartbeatsSeen = 0;
  let countHeartbeatsFrom: string | null = null;
  const c = new RaftCluster({
    seed,
    nodes: demoPlanets,
    world: {
      trace: {
        enabled: true,
        maxLines: 1_000,
        sink: (line) => {
          if (countHeartbeatsFrom !== null && line.includes(` ${countHeartbeatsFrom} send `) && line.includes(' heartbeat t')) heartbeatsSeen++;
        },
      },
    },
  });
  const steps: StoryStep[] = [];
  const table = (): NodeRow[] => demoPlanets.map((name) => rowOf(c, name));
  const record = (title: string, patterns: string[], explanation: string[]) =>
    steps.push({ title, patterns, explanation, atMs: c.world.nowMs(), table: table() });
  const waitFor = async (what: string, predicate: () => boolean) => {
    if (!(await c.world.runUntil(predicate, { limitMs: stepLimitMs }))) throw new Error(`the demo stalled: ${what} did not happen within ${stepLimitMs} simulated ms (seed ${seed})`);
  };

  // 1. Election, then a quiet second of heartbeats.
  const firstLeader = await c.electLeader(stepLimitMs);
  const firstTerm = c.node(firstLeader)!.status().term;
  const [carrier, laggard] = demoPlanets.filter((name) => name !== firstLeader);
  countHeartbeatsFrom = firstLeader;
  await c.world.runFor(1_000);
  countHeartbeatsFrom = null;
  const termAfterQuietSecond = c.node(firstLeader)!.status().term;
  record('Election', ['Leader and Followers', 'HeartBeat'], [
    `Every node starts as a follower with a randomised election timeout. ${firstLeader}'s ran out first: it asked for votes`,
    `(a pre-vote round, then the real one), won a majority and leads term ${firstTerm}.`,
    `In the next simulated second it sent ${heartbeatsSeen} heartbeats (${heartbeatsSeen / 2} to each follower); each one resets the followers' election timers,`,
    `so nobody started an election: the term is still ${termAfterQuietSecond}.`,
  ]);

  // 2. A write committed by two of three.
  c.world.clog(firstLeader, laggard!);
  const bostonIndex = c.node(firstLeader)!.status().lastIndex + 1;
  const boston = request(c, (done) => c.propose(firstLeader, { op: 'put', key: 'boston', value: '10', id: 'alice-1' }, 5_000, done));
  await waitFor('the boston write', () => boston.outcome !== undefined);
  const holdersAtCommit = demoPlanets.filter((name) => durableTermAt(c, name, bostonIndex) !== undefined);
  record('A write committed by a majority', ['Majority Quorum', 'High-Water Mark'], [
    `The link ${firstLeader} -> ${laggard} is clogged. alice puts boston=10 at ${firstLeader}: entry ${bostonIndex}.`,
    `The leader answered (${describeOutcome(boston.outcome)}) once ${holdersAtCommit.join(' and ')} held it on disk: 2 of 3 is a majority.`,
    `The commit index (high-water mark) moved to ${c.node(firstLeader)!.status().commitIndex}; followers learn it from the next message and apply up to it.`,
    `${laggard} has not even received the entry; it will catch up when the link clears.`,
  ]);
  c.world.unclog(firstLeader, laggard!);
  await waitFor('the laggard catching up', () => settled(c));

  // 3. The leader is partitioned away; alice writes to it anyway.
  c.world.isolate(firstLeader);
  const aliceIndex = c.node(firstLeader)!.status().lastIndex + 1;
  const alice = request(c, (done) => c.propose(firstLeader, { op: 'put', key: 'london', value: '7', id: 'alice-2' }, aliceTimeoutMs, done));
  await waitFor('the isolated leader writing alice\'s entry', () => durableTermAt(c, firstLeader, aliceIndex) !== undefined);
  const aliceEntryTerm = durableTermAt(c, firstLeader, aliceIndex)!;
  await waitFor('a new leader among the majority', () => leaderAmong(c, [carrier!, laggard!]) !== null);
  const secondLeader = leaderAmong(c, [carrier!, laggard!])!;
  const secondTerm = c.node(secondLeader)!.status().term;
  const bob = request(c, (done) => c.propose(secondLeader, { op: 'put', key: 'philadelphia', value: '5', id: 'bob-1' }, 5_000, done));
  await waitFor('bob\'s write and alice\'s answer', () => bob.outcome !== undefined && alice.outcome !== undefined);
  const aliceError = errorOf(alice.outcome);
  record('The leader is partitioned away', ['Generation Clock', 'Request Waiting List'], [
    `${firstLeader} is cut off from everyone. alice's put london=7 reached it and sits at entry ${aliceIndex}, term ${aliceEntryTerm}, on its disk only.`,
    `${carrier} and ${laggard} stopped hearing heartbeats; ${secondLeader} won an election in term ${secondTerm} (the generation clock moved on).`,
    `bob puts philadelphia=5 at ${secondLeader}: ${describeOutcome(bob.outcome)}.`,
    `${firstLeader} could not reach a majority, so check-quorum made it step down, and alice's waiting request failed cleanly:`,
    `"${aliceError.message}"`,
  ]);

  // 4. Heal: the old leader rejoins, and its uncommitted entry is replaced.
  c.world.heal();
  await waitFor('the cluster settling after the heal', () => settled(c) && durableTermAt(c, firstLeader, aliceIndex) !== aliceEntryTerm);
  const healed = c.node(firstLeader)!;
  const termAtAliceIndexAfterHeal = durableTermAt(c, firstLeader, aliceIndex);
  record('Heal', ['Replicated Log', 'Generation Clock'], [
    `The partition heals. ${firstLeader} hears term ${secondTerm} from ${secondLeader}, adopts it and follows (role: ${healed.status().role}).`,
    `Its entry ${aliceIndex} from term ${aliceEntryTerm} conflicts with the leader's entry ${aliceIndex} from term ${termAtAliceIndexAfterHeal}:`,
    `the consistency check finds the mismatch, ${firstLeader} truncates its log there and takes the leader's entries.`,
    `alice's london=7 was never committed and is gone everywhere: london is ${healed.machine.get('london') ?? 'absent'} on ${firstLeader}.`,
  ]);

  // 5. A follower restarts from its disk and catches up.
  const restarted = nodeId(demoPlanets.find((name) => name !== secondLeader && name !== firstLeader)!);
  const before = c.node(restarted)!.status();
  c.world.crash(restarted);
  const pune = request(c, (done) => c.propose(secondLeader, { op: 'put', key: 'pune', value: '3', id: 'bob-2' }, 5_000, done));
  await waitFor('the write while a follower is down', () => pune.outcome !== undefined);
  record('A follower loses power', ['Majority Quorum'], [
    `${restarted} crashed (term ${before.term}, last index ${before.lastIndex}). bob puts pune=3 at ${secondLeader}: ${describeOutcome(pune.outcome)},`,
    `because ${secondLeader} and ${firstLeader} are still a majority.`,
  ]);
  c.world.restart(restarted);
  await waitFor(`${restarted} booting`, () => c.node(restarted) !== undefined);
  const after = c.node(restarted)!.status();
  record('The follower restarts from its disk', ['Write-Ahead Log', 'Replicated Log'], [
    `${restarted} restarts and reads its write-ahead log: term ${after.term} and entries up to ${after.lastIndex}, exactly what it held`,
    `before the crash. It re-applied the entries it knew to be committed (up to ${after.commitIndex}); entry ${after.lastIndex + 1} and the newer`,
    `commit index can only come from the leader.`,
  ]);
  await waitFor(`${restarted} catching up`, () => settled(c));
  record('Caught up', ['Replicated Log', 'High-Water Mark'], [
    `${secondLeader} sends ${restarted} the entries it missed and the commit index; it applies them and holds pune=3 like the others.`,
  ]);

  return {
    seed,
    steps,
    facts: {
      firstLeader, firstTerm, heartbeatsInQuietSecond: heartbeatsSeen, termAfterQuietSecond,
      bostonIndex, holdersAtCommit,
      secondLeader, secondTerm, aliceIndex, aliceEntryTerm, aliceError,
      oldLeaderRoleAfterHeal: healed.status().role, termAtAliceIndexAfterHeal, oldLeaderLondonAfterHeal: healed.machine.get('london'),
      restarted,
      beforeCrash: { term: before.term, lastIndex: before.lastIndex },
      afterRestart: { term: after.term, lastIndex: after.lastIndex },
      restartedPuneAfterCatchUp: c.node(restarted)!.machine.get('pune'),
    },
    violations: c.monitor.violations.map((violation) => `${violation.property}: ${violation.detail}`),
    traceDigest: c.world.trace.digest(),
    simulatedMs: c.world.nowMs(),
  };
}

function rowOf(c: RaftCluster, name: string): NodeRow {
  const node = c.node(name);
  if (node === undefined) return { node: name, role: 'down', term: 0, lastIndex: 0, commitIndex: 0, appliedIndex: 0, widgets: '', note: c.world.status(name) };
  const status = node.status();
  const widgets = node.machine.entries().map(([key, value]) => `${key}=${value}`).join(' ');
  return { node: name, role: status.role, term: status.term, lastIndex: status.lastIndex, commitIndex: status.commitIndex, appliedIndex: status.machineAppliedIndex, widgets, note: linkNote(c, name) };
}

/** What the network does to this node's links right now. */
function linkNote(c: RaftCluster, name: string): string {
  const others = demoPlanets.filter((other) => other !== name);
  const cannotSend = others.filter((other) => !c.world.isReachable(name, other));
  const cannotHear = others.filter((other) => !c.world.isReachable(other, name));
  if (cannotSend.length === others.length && cannotHear.length === others.length) return 'isolated';
  return cannotSend.map((other) => `messages to ${other} held`).join(', ');
}

function request(c: RaftCluster, start: (done: (outcome: Outcome<KvResult>) => void) => void): { outcome: Outcome<KvResult> | undefined } {
  return c.request<KvResult>(start);
}

function describeOutcome(outcome: Outcome<KvResult> | undefined): string {
  if (outcome === undefined) return 'no answer yet';
  return outcome.ok ? 'acknowledged' : `failed: ${outcome.error.message}`;
}

function errorOf(outcome: Outcome<KvResult> | undefined): { code: string; message: string } {
  if (outcome === undefined) return { code: 'none', message: 'no answer' };
  if (outcome.ok) return { code: 'ok', message: 'acknowledged (the demo expected a failure)' };
  const error: ClientError = outcome.error;
  return { code: error.code, message: error.message };
}

function durableTermAt(c: RaftCluster, node: string, index: number): number | undefined {
  return c.monitor.durableLog(nodeId(node)).entries.find((entry) => entry.index === index)?.term;
}

function leaderAmong(c: RaftCluster, names: readonly string[]): NodeId | null {
  for (const name of names) if (c.node(name)?.status().role === 'leader') return nodeId(name);
  return null;
}

/** A leader has committed its whole log and every running planet has applied all of it. */
function settled(c: RaftCluster): boolean {
  const leader = c.leader();
  if (leader === null) return false;
  const status = c.node(leader)!.status();
  if (status.commitIndex !== status.lastIndex) return false;
  return demoPlanets.every((name) => c.world.status(name) === 'crashed' || c.node(name)?.status().machineAppliedIndex === status.commitIndex);
}
