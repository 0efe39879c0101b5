// One seed of the consistent core's swarm: a CoreCluster (Raft + MVCC store +
// leases + watches on every member) under the Raft swarm's faults, with
// clients putting, ranging, transacting, deleting, leasing and compacting,
// and watchers moving from member to member. After the faults heal the
// cluster must finish its work (liveness) and every member must read back
// the same store. Then the checks: Raft's safety properties (the
// SafetyMonitor, as events happen), the Lease promise (as expiries happen),
// linearizability of the whole history against the MVCC specification,
// revisions included, the watch guarantees, serializable reads, durability
// of acknowledged writes, and equal HashKV on every member and the ledger.

import { nodeId, type NodeId } from '../../ids.js';
import { checkMvccHistory, checkWatches } from '../../check/index.js';
import { members as configMembers } from '../../consensus/config.js';
import type { CoreMachineOptions } from '../../server/core-machine.js';
import { defaultSessionLimits } from '../../server/idempotent-receiver.js';
import { memberIdFromText } from '../../server/member-table.js';
import type { ConfigChange } from '../../consensus/types.js';
import type { Completion } from '../../server/client-errors.js';
import { checkSerializableReads, compareStores, converged, historyToCheck } from './core-checks.js';
import { CoreCluster } from './core-cluster.js';
import { CoreLedger } from './core-ledger.js';
import { LeaseKeeper, maxDriftPpm } from './core-leases.js';
import { WatchClients } from './core-watchers.js';
import { CoreWorkload, defaultCoreWorkloadOptions } from './core-workload.js';
import { MembershipChanger, type MembershipTarget } from './membership-changer.js';
import { describeError, isExpectedFailure, planetNames, replayCommand, scheduleSwarmFaults, windowStartMs, type SeedOptions, type SeedResult } from './run-seed.js';
import { healEverything } from './supervisor.js';

/** Steps the history checker may spend on one seed before it gives up with no verdict. */
export const kvCheckMaxSteps = 5_000_000;
/** An empty store is at revision 1, as etcd's: the first write makes revision 2. */
const emptyStore = { revision: 1, kvs: [] } as const;

/**
 * Snapshots come every few hundred entries here, so a client's results are
 * remembered for its last 32 requests rather than 2048 (each client has one
 * request in flight): snapshots stay cheap to take and to install. The
 * ledger's machine must decide duplicates exactly as the members' do.
 */
function machineOptionsFor(options: SeedOptions): CoreMachineOptions {
  return { sessions: { ...defaultSessionLimits, maxResultsPerSession: 32, ...(options.sessionIdleMs === undefined ? {} : { sessionIdleMs: options.sessionIdleMs }) } };
}

export async function runCoreSeed(options: SeedOptions): Promise<SeedResult> {
  const initial = planetNames.slice(0, options.nodes);
  const spares = planetNames.slice(options.nodes);
  const snapshots = { taken: 0, installed: 0 };
  const machineOptions = machineOptionsFor(options);
  // The ledger, the lease witness and the cluster refer to each other: the
  // cluster's observer and start hook run only once the world does.
  let ledger: CoreLedger | null = null;
  let leases: LeaseKeeper | null = null;
  const cluster: CoreCluster = new CoreCluster({
    seed: options.seed,
    nodes: initial,
    world: { trace: { enabled: options.trace === true }, disk: { datasyncLatencyMs: options.datasyncLatencyMs } },
    raft: { bugs: options.bugs, maxEntriesPerAppend: options.maxEntriesPerAppend ?? 8 },
    limits: { snapshotEntries: options.snapshotEntries ?? 200 },
    storageOptions: { wal: { segmentSizeBytes: 16 * 1024 } },
    machine: machineOptions,
    // Small watch buffers: a watcher that takes its events every 100 ms often falls behind and catches up from history.
    watch: { watchBufferEvents: 16, catchUpBatchRevisions: 8, maxResponseEvents: 8 },
    unsafeStaleReads: options.staleReads === true,
    observer: {
      applied: (_node, entry) => ledger!.applied(entry),
      leading: (node, term) => leases!.leaderElected(term, node),
      snapshotTaken: () => snapshots.taken++,
      persisted: (_node, work) => {
        if (work.snapshot !== null) snapshots.installed++;
      },
    },
    onNodeStarted: (id, node) => {
      // The Lease promise is judged at the moment a leader decides an expiry, on that leader's monotonic clock.
      const lessor = node.lessor;
      const expired = lessor.expired.bind(lessor);
      lessor.expired = () => {
        const ids = expired();
        if (ids.length > 0) leases!.expiryDecided(id, ids, cluster.world.clock(id).monotonicNowMs());
        return ids;
      };
    },
  });
  const world = cluster.world;
  const monitor = cluster.monitor;
  ledger = new CoreLedger(() => world.nowMs(), (detail) => monitor.report('state-machine-safety', detail), (id, term) => leases!.expired(id, term), machineOptions);
  const retired = new Set<string>();
  const members = new Set<NodeId>(initial.map(nodeId));

  const faultsByKind: Record<string, number> = {};
  scheduleSwarmFaults(cluster, { ...options, maxDriftPpm }, initial, retired, faultsByKind);
  leases = new LeaseKeeper(cluster, members, ledger, world.forkRandom('workload'), (detail) => monitor.report('lease', detail));
  const workload = new CoreWorkload(cluster, members, ledger, leases, world.forkRandom('workload'), { ...defaultCoreWorkloadOptions, clients: options.clients ?? defaultCoreWorkloadOptions.clients });
  const watchers = new WatchClients(cluster, members, ledger, world.forkRandom('workload'), (detail) => monitor.report('watch', detail));
  workload.start();
  watchers.start();
  const membership = options.faults.includes('membership')
    ? new MembershipChanger(membershipTarget(cluster), world.forkRandom('faults'), initial, spares, members, retired, (kind) => {
      faultsByKind[kind] = (faultsByKind[kind] ?? 0) + 1;
    })
    : null;
  membership?.start(windowStartMs, options.simulatedMs);

  let historyLength = 0;
  let undecided = 0;
  try {
    await world.runFor(options.simulatedMs);
    membership?.stop();
    workload.stop();
    leases.stop();
    healEverything(cluster, retired);
    const settleLimitMs = options.settleLimitMs ?? 30_000;
    const settled = await world.runUntil(() => workload.pending === 0 && converged(cluster), { limitMs: settleLimitMs });
    if (!settled) {
      monitor.report('liveness', `after heal the cluster did not settle within ${settleLimitMs} ms: ${describeProgress(cluster, members, workload.pending)}`);
    } else if (await readBack(cluster, workload)) {
      // Expiries may still be on their way: compare once every member has applied everything again.
      if (await world.runUntil(() => converged(cluster), { limitMs: settleLimitMs })) {
        const difference = compareStores(cluster, ledger);
        if (difference !== null) monitor.report('kv-hash', difference);
      } else {
        monitor.report('liveness', `the cluster did not converge after the final reads: ${describeProgress(cluster, members, 0)}`);
      }
    }
  } catch (error) {
    monitor.report('node-failure', `the run stopped: ${describeError(error)}`);
  }
  watchers.stop();

  for (const id of cluster.machines()) {
    const fatal = cluster.node(id)?.raft.fatalError;
    if (fatal !== undefined && fatal !== null && !isExpectedFailure(fatal)) monitor.report('node-failure', `${id} stopped: ${describeError(fatal)}`);
  }
  for (const { node, error } of cluster.bootFailures) {
    if (!isExpectedFailure(error)) monitor.report('node-failure', `${node} failed to boot: ${describeError(error)}`);
  }
  for (const requestKey of workload.acknowledgedWrites) {
    if (!ledger.appliedRequests.has(requestKey)) {
      monitor.report('durability', `write ${requestKey} was acknowledged but no member applied it`);
      break;
    }
  }
  const history = historyToCheck(workload, ledger);
  historyLength = history.length;
  const verdict = checkMvccHistory(history, { maxSteps: kvCheckMaxSteps, initial: emptyStore });
  if (verdict.verdict === 'violation') monitor.report('linearizability', verdict.violation.text);
  if (verdict.verdict === 'unknown') undecided = 1;
  const watchVerdict = checkWatches(watchers.records(), ledger.committed, { maxViolations: 5, initial: emptyStore });
  if (!watchVerdict.ok) monitor.report('watch', watchVerdict.text);
  const staleRead = checkSerializableReads(workload.serializableReads, ledger);
  if (staleRead !== null) monitor.report('serializable-read', staleRead);

  return {
    seed: options.seed,
    simulatedMs: world.nowMs(),
    operations: workload.statistics.issued,
    acknowledgedWrites: workload.acknowledgedWrites.size,
    elections: monitor.leadersElected,
    faultsByKind,
    snapshotsTaken: snapshots.taken,
    snapshotsInstalled: snapshots.installed,
    violations: monitor.violations,
    trace: world.trace.enabled ? world.trace.lines() : [],
    traceDigest: world.trace.digest(),
    replayCommand: replayCommand({ ...options, store: 'kv' }),
    kv: {
      operationsChecked: historyLength,
      serializableReads: workload.serializableReads.length,
      revisions: ledger.revision,
      watchEvents: watchers.statistics.events,
      watchMoves: watchers.statistics.moves,
      leasesGranted: leases.statistics.granted,
      keepAlivesAcknowledged: leases.statistics.keepAlivesAcknowledged,
      leaseExpiriesChecked: leases.statistics.expiriesChecked,
      historiesUndecided: undecided,
    },
  };
}

/** Every member reads the whole store back, linearizably; those reads join the history, so they must show every acknowledged write. */
async function readBack(cluster: CoreCluster, workload: CoreWorkload): Promise<boolean> {
  const leader = cluster.leader()!;
  const readers = configMembers(cluster.node(leader)!.status().config);
  const answers = new Map<NodeId, boolean>();
  for (const member of readers) workload.readEverything(`final-${member}`, member, (ok) => answers.set(member, ok));
  const limitMs = 10_000;
  const done = await cluster.world.runUntil(() => answers.size === readers.length, { limitMs });
  const failed = readers.filter((member) => answers.get(member) !== true);
  if (!done || failed.length > 0) {
    cluster.monitor.report('liveness', `after heal, the final linearizable reads on ${failed.join(', ')} did not succeed within ${limitMs} ms`);
    return false;
  }
  return true;
}

/** MembershipChanger's view of the consistent core: changes go through a member's changeMembers, as etcd's MemberAdd/Promote/Remove. */
function membershipTarget(cluster: CoreCluster): MembershipTarget {
  return {
    world: cluster.world,
    leader: () => cluster.leader(),
    node: (id) => cluster.node(id)?.raft,
    addMachine: (name) => cluster.addMachine(name),
    changeMembership: (member: string, change: ConfigChange, _timeoutMs: number, done: Completion<void>) => {
      const finish: Completion<unknown> = (outcome) => done(outcome.ok ? { ok: true, value: undefined } : outcome);
      cluster.call(member, finish, (node) => {
        const id = memberIdFromText(change.node);
        if (change.type === 'add-learner' || change.type === 'add-voter') {
          node.changeMembers({ type: 'add', peerUrls: [`sim://${change.node}`], isLearner: change.type === 'add-learner', node: change.node, id }, finish);
        } else {
          node.changeMembers({ type: change.type === 'remove' ? 'remove' : 'promote', id }, finish);
        }
      });
    },
  };
}

function describeProgress(cluster: CoreCluster, members: ReadonlySet<NodeId>, pending: number): string {
  const parts = [`${pending} client request(s) pending`, `leader ${cluster.leader() ?? 'none'}`];
  for (const id of members) {
    const node = cluster.node(id);
    if (node === undefined) {
      parts.push(`${id}: ${cluster.world.status(id)}, no process`);
      continue;
    }
    const status = node.status();
    const config = `voters ${status.config.voters.join(',')}${status.config.learners.length === 0 ? '' : ` learners ${status.config.learners.join(',')}`}`;
    parts.push(`${id}: ${status.role} t${status.term} commit ${status.commitIndex} applied ${status.machineAppliedIndex} log ${status.firstIndex}..${status.lastIndex} ` +
      `snapshot ${status.snapshotIndex} (${config})${status.stoppedReason === null ? '' : ` stopped (${status.stoppedReason})`}`);
  }
  return parts.join('; ');
}
