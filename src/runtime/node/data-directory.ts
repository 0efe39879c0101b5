// A member's data directory:
//
//   <data-dir>/member/identity   which cluster and member this is (checksummed, replaced atomically)
//   <data-dir>/member/raft/      the Raft log (WAL segments), hard state and snapshot
//
// The identity is written once, before anything else, and checked at every
// start: a directory from another cluster, from another version of Trellis,
// or holding files Trellis does not know is refused with a message that says
// what to do, rather than mixed with this cluster's data.

import type { Disk } from '../disk.js';
import type { Logger } from '../logger.js';
import { readAtomicFile, writeAtomicFile } from '../../log/atomic-file.js';
import { ConfigError, clusterIdOf, type InitialMember, type MemberConfig } from '../../api/etcd/member-config.js';

export interface MemberIdentity {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  readonly name: string;
  readonly token: string;
  /** True for a member of the initial cluster: its first start writes the bootstrap membership into its log. */
  readonly bootstrap: boolean;
}

const identityFormat = 'trellis-member/1';
const identityPath = 'member/identity';
const known = { root: new Set(['member']), member: new Set(['identity', 'identity.tmp', 'raft']) };

const hex = (id: bigint): string => id.toString(16);

export async function readIdentity(disk: Disk, dataDir: string): Promise<MemberIdentity | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readAtomicFile(disk, identityPath);
  } catch (error) {
    throw new ConfigError(`data directory ${dataDir}: ${identityPath} is damaged (${(error as Error).message.split('. ')[0]}): use a fresh directory, or restore one from a snapshot`);
  }
  if (bytes === undefined) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`data directory ${dataDir}: ${identityPath} is not readable JSON; the directory is damaged or not Trellis's`);
  }
  if (parsed['format'] !== identityFormat) {
    throw new ConfigError(`data directory ${dataDir} was written by another version of Trellis (format ${JSON.stringify(parsed['format'])}, this version reads ${identityFormat}): use a fresh directory`);
  }
  return {
    clusterId: BigInt(String(parsed['clusterId'])),
    memberId: BigInt(String(parsed['memberId'])),
    name: String(parsed['name']),
    token: String(parsed['token']),
    bootstrap: parsed['bootstrap'] === true,
  };
}

export async function writeIdentity(disk: Disk, identity: MemberIdentity): Promise<void> {
  const json = JSON.stringify({
    format: identityFormat, clusterId: identity.clusterId.toString(), memberId: identity.memberId.toString(),
    name: identity.name, token: identity.token, bootstrap: identity.bootstrap,
  });
  await disk.makeDirectory('member');
  await writeAtomicFile(disk, identityPath, new TextEncoder().encode(json));
}

async function refuseStrangers(disk: Disk, dataDir: string): Promise<void> {
  await disk.makeDirectory('.');
  const strangers = (await disk.list('.')).filter((name) => !known.root.has(name));
  if (await disk.exists('member')) strangers.push(...(await disk.list('member')).filter((name) => !known.member.has(name)).map((name) => `member/${name}`));
  if (strangers.length > 0) {
    throw new ConfigError(`data directory ${dataDir} holds files Trellis does not recognise (${strangers.slice(0, 5).join(', ')}): it is not a Trellis data directory; use a fresh one`);
  }
}

/** Checks (or, for a new member, creates) the data directory; returns who this member is. */
export async function openDataDirectory(
  disk: Disk, config: MemberConfig, initial: readonly InitialMember[], logger: Logger, joined?: { readonly clusterId: bigint; readonly memberId: bigint },
): Promise<MemberIdentity> {
  await refuseStrangers(disk, config.dataDir);
  const existing = await readIdentity(disk, config.dataDir);
  const expectedClusterId = clusterIdOf(initial.map((member) => member.id), config.initialClusterToken);
  if (existing !== undefined) {
    // As etcd, a restart ignores --initial-cluster (membership has moved on since); but a directory made for another
    // cluster (another token) or another member (another name) is not this member's.
    if (existing.token !== config.initialClusterToken) {
      throw new ConfigError(
        `data directory ${config.dataDir} belongs to cluster ${hex(existing.clusterId)} (token ${JSON.stringify(existing.token)}), not to a cluster with --initial-cluster-token ${JSON.stringify(config.initialClusterToken)}: use a fresh directory, or start with the token the directory was created with`,
      );
    }
    if (existing.name !== config.name) {
      throw new ConfigError(`data directory ${config.dataDir} belongs to member ${existing.name}, not ${config.name}: use a fresh directory, or start it as --name ${existing.name}`);
    }
    logger.info({ member: hex(existing.memberId), cluster: hex(existing.clusterId) }, `restarting member ${existing.name} from ${config.dataDir}`);
    return existing;
  }
  if (await disk.exists('member/raft')) {
    throw new ConfigError(`data directory ${config.dataDir} holds a Raft log but no member identity: it is damaged or from another program; use a fresh directory`);
  }
  let identity: MemberIdentity;
  if (config.initialClusterState === 'new') {
    const self = initial.find((member) => member.name === config.name)!;
    identity = { clusterId: expectedClusterId, memberId: self.id, name: config.name, token: config.initialClusterToken, bootstrap: true };
  } else {
    if (joined === undefined) throw new ConfigError('--initial-cluster-state existing: this member could not learn its id from the cluster');
    identity = { clusterId: joined.clusterId, memberId: joined.memberId, name: config.name, token: config.initialClusterToken, bootstrap: false };
  }
  await writeIdentity(disk, identity);
  logger.info({ member: hex(identity.memberId), cluster: hex(identity.clusterId) }, `new member ${config.name} in ${config.dataDir}`);
  return identity;
}
