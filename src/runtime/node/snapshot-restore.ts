// `trellis snapshot restore`: a saved snapshot becomes the data directory of
// a member of a NEW cluster, as `etcdctl snapshot restore` does. Every member
// of the new cluster runs the restore with the same file and the same
// --initial-cluster flags, and gets the same Raft snapshot: the saved keys,
// revisions and leases, plus the new cluster's members, at index 1 of term 1.
// The members then start from that snapshot, agree at once, and serve the
// saved data under a fresh cluster id.

import { readFile } from 'node:fs/promises';
import { logIndex, term } from '../../ids.js';
import type { ClusterConfig } from '../../consensus/types.js';
import { decodeSnapshotFile } from '../../api/etcd/snapshot-file.js';
import { ConfigError, clusterIdOf, initialMembers, type MemberConfig } from '../../api/etcd/member-config.js';
import { CoreMachine } from '../../server/core-machine.js';
import { encodeMemberContext } from '../../server/member-table.js';
import { RaftStorage } from '../../server/raft-storage.js';
import { silentLogger, type Logger } from '../logger.js';
import { NodeDisk } from './node-disk.js';
import { readIdentity, writeIdentity } from './data-directory.js';
import { snapshotDataOf } from '../../consensus/snapshot-data.js';

export interface RestoreResult {
  readonly revision: number;
  readonly keys: number;
  readonly clusterId: bigint;
  readonly memberId: bigint;
}

export async function restoreSnapshot(file: string, config: MemberConfig, logger: Logger = silentLogger): Promise<RestoreResult> {
  let fileBytes: Uint8Array;
  try {
    fileBytes = await readFile(file);
  } catch (error) {
    throw new ConfigError(`cannot read snapshot file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let kvBytes: Uint8Array;
  try {
    kvBytes = decodeSnapshotFile(fileBytes);
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`);
  }
  const disk = new NodeDisk({ root: config.dataDir });
  if ((await disk.exists('.')) && (await disk.list('.')).length > 0) {
    throw new ConfigError(`data-dir "${config.dataDir}" exists: restore into a new directory`);
  }
  const members = initialMembers(config);
  const self = members.find((member) => member.name === config.name);
  if (self === undefined) throw new ConfigError(`--name ${config.name} is not in --initial-cluster (${members.map((m) => m.name).join(', ')})`);

  const machine = new CoreMachine({ kvLimits: { quotaBytes: config.quotaBackendBytes, maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps } });
  try {
    machine.kv.restore(kvBytes);
  } catch (error) {
    throw new ConfigError(`${file} does not hold a readable key-value snapshot: ${(error as Error).message}`);
  }
  const config1: ClusterConfig = { voters: members.map((m) => m.node), outgoingVoters: [], learners: [] };
  for (const member of members) {
    const change = { type: 'add-voter' as const, node: member.node, context: encodeMemberContext({ id: member.id, name: member.name, peerUrls: member.peerUrls }) };
    machine.applyConfig({ index: logIndex(1), term: term(1), kind: 'config', data: new Uint8Array(0) }, change, config1);
  }
  const clusterId = clusterIdOf(members.map((m) => m.id), config.initialClusterToken);
  await writeIdentity(disk, { clusterId, memberId: self.id, name: config.name, token: config.initialClusterToken, bootstrap: true });
  const storage = await RaftStorage.open(disk, 'member/raft', { logger });
  try {
    const meta = { index: logIndex(1), term: term(1), config: config1 };
    await storage.persist({ snapshot: { meta, data: snapshotDataOf(machine.snapshot()) }, entries: [], hardState: { term: term(1), vote: null, commit: logIndex(1) } });
  } finally {
    await storage.close();
  }
  const check = await readIdentity(disk, config.dataDir);
  if (check?.memberId !== self.id) throw new Error(`restore wrote an identity that does not read back in ${config.dataDir}`);
  return { revision: machine.kv.revision, keys: machine.kv.store.keyCount, clusterId, memberId: self.id };
}
