// The kv swarm's end-of-run checks, beside Raft's safety properties: the
// history the linearizability checker gets (client operations plus the
// lessor's revocations), serializable reads against the committed history,
// and every member's store against the others' and the ledger's by HashKV.

import { members as configMembers } from '../../consensus/config.js';
import type { KeyValue, MvccInput, MvccOutput } from '../../check/index.js';
import type { CoreCluster } from './core-cluster.js';
import { CommittedReplay, type CoreLedger } from './core-ledger.js';
import type { CoreWorkload, MvccOperation, SerializableRead } from './core-workload.js';

/** Every member in the leader's config runs and has applied everything the leader committed. */
export function converged(cluster: CoreCluster): boolean {
  const leader = cluster.leader();
  if (leader === null) return false;
  const leaderStatus = cluster.node(leader)!.status();
  if (leaderStatus.machineAppliedIndex < leaderStatus.commitIndex) return false;
  for (const id of configMembers(leaderStatus.config)) {
    const node = cluster.node(id);
    if (node === undefined || node.isStopped || cluster.world.status(id) !== 'running') return false;
    if (node.status().machineAppliedIndex !== leaderStatus.commitIndex) return false;
  }
  return true;
}

/**
 * The history to check: the clients' operations, less the writes whose fate
 * they never learned and that no member ever applied (they never happened),
 * plus one write per lease revocation that deleted keys. A revocation took
 * effect no later than the first member applied it and no earlier than
 * anyone could observe it, which is the same instant: it is recorded as an
 * operation that is called and returns then.
 */
export function historyToCheck(workload: CoreWorkload, ledger: CoreLedger): MvccOperation[] {
  const history = workload.history.filter((operation) => {
    const requestKey = workload.unknownWrites.get(operation);
    return requestKey === undefined || ledger.appliedRequests.has(requestKey);
  });
  for (const revocation of ledger.revocations) {
    const input: MvccInput = { kind: 'txn', compare: [], success: revocation.keys.map((key) => ({ kind: 'delete-range', key })), failure: [] };
    const output: MvccOutput = {
      kind: 'txn', revision: revocation.revision, succeeded: true,
      responses: revocation.keys.map(() => ({ kind: 'delete-range', revision: revocation.revision, deleted: 1 })),
    };
    history.push({ clientId: `lessor-${revocation.leaseId}`, input, output, callMs: revocation.atMs, returnMs: revocation.atMs });
  }
  return history;
}

/**
 * A serializable read may be stale, but it must show a state the cluster
 * committed, at the revision it names (or the past revision it asked for),
 * and never a revision beyond what any member had applied. A past revision
 * may be refused as compacted only if the cluster had compacted it. Returns
 * the first read that breaks this, described.
 */
export function checkSerializableReads(reads: readonly SerializableRead[], ledger: CoreLedger): string | null {
  const replay = new CommittedReplay(ledger.committed);
  const stateRevision = (read: SerializableRead): number => read.atRevision ?? ('kvs' in read.output ? read.output.revision : 0);
  for (const read of [...reads].sort((a, b) => stateRevision(a) - stateRevision(b))) {
    const at = stateRevision(read);
    const past = read.atRevision === undefined ? '' : ` at past revision ${read.atRevision}`;
    const what = `${read.clientId}'s serializable range ${JSON.stringify(read.input.key)}${read.input.rangeEnd === undefined ? '' : `..${JSON.stringify(read.input.rangeEnd)}`}${past} on ${read.member} at ${read.returnMs} ms`;
    const output = read.output;
    if ('refused' in output) {
      if (output.refused === 'compacted' && at >= read.committedCompactRevision) return `${what} was refused as compacted, but the cluster had compacted only below ${read.committedCompactRevision}`;
      continue;
    }
    if (output.revision > read.committedRevision) return `${what} saw revision ${output.revision}, but no member had applied beyond ${read.committedRevision}`;
    if (output.revision < at) return `${what} answered with header revision ${output.revision}, below the revision it read`;
    replay.advanceTo(at);
    const expected = replay.range(read.input.key, read.input.rangeEnd);
    if (!sameKvs(expected, output.kvs)) {
      return `${what} saw ${describeKvs(output.kvs)} at revision ${at}, but the committed store held ${describeKvs(expected)} there`;
    }
  }
  return null;
}

/** Members that applied the same log hold the same store: the same revision and HashKV as each other and as the ledger. */
export function compareStores(cluster: CoreCluster, ledger: CoreLedger): string | null {
  const leader = cluster.leader();
  if (leader === null) return 'no leader to compare stores against';
  const revision = ledger.revision;
  const expected = ledger.machine.kv.hashKv(revision);
  if (!expected.ok) return `the ledger cannot hash revision ${revision}: ${expected.error.message}`;
  for (const id of configMembers(cluster.node(leader)!.status().config)) {
    const kv = cluster.node(id)!.machine.kv;
    if (kv.revision !== revision) return `${id} is at revision ${kv.revision}, the cluster committed ${revision}`;
    const hash = kv.hashKv(revision);
    if (!hash.ok) return `${id} cannot hash revision ${revision}: ${hash.error.message}`;
    if (hash.value.hash !== expected.value.hash || hash.value.compactRevision !== expected.value.compactRevision) {
      return `${id} hashes revision ${revision} (compacted at ${hash.value.compactRevision}) to ${hash.value.hash}, the committed history to ${expected.value.hash} (compacted at ${expected.value.compactRevision})`;
    }
  }
  return null;
}

function sameKvs(a: readonly KeyValue[], b: readonly KeyValue[]): boolean {
  return a.length === b.length && a.every((kv, i) => {
    const other = b[i]!;
    return kv.key === other.key && kv.value === other.value && kv.createRevision === other.createRevision && kv.modRevision === other.modRevision && kv.version === other.version;
  });
}

function describeKvs(kvs: readonly KeyValue[]): string {
  return kvs.length === 0 ? 'nothing' : kvs.map((kv) => `${kv.key}=${JSON.stringify(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`).join(', ');
}
