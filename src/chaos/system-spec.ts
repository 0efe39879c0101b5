// The system under test, as the harness sees it: how to start one member
// from etcd's flags, what runtime it is built on (which decides whether
// libfaketime and libfiu can reach it), and how to tell which member opened a
// peer connection (so a proxy in front of a member can cut one directed link).
// Adding a system means adding one spec here.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdStyleFlags, type MemberLaunch } from '../api/etcd/member-launch.js';
import { memberNodeFlags } from '../runtime/node/member-node-flags.js';

export { etcdStyleFlags, type MemberLaunch };

/** What a peer connection's first bytes say about who dialed it. */
export type PeerIdentification =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'unknown' }
  /** `token` is a member name or id as the system writes it; the cluster maps it to a member. */
  | { readonly kind: 'member'; readonly token: string };

export interface SystemCommand {
  readonly binary: string;
  readonly args: readonly string[];
}

export interface SystemSpec {
  readonly name: string;
  /**
   * Go programs read the clock through the vDSO and call fsync as a raw
   * system call, so LD_PRELOAD libraries (libfaketime, libfiu) never see them;
   * Node goes through libc for both.
   */
  readonly runtime: 'go' | 'node';
  command(member: MemberLaunch, options: { readonly unsafeStaleReads: boolean }): SystemCommand;
  /** Why this system cannot run here, or undefined when it can. */
  unavailableReason(): string | undefined;
  /** Who dialed a peer connection, from the bytes it sent first. */
  identifyPeer(head: Buffer): PeerIdentification;
  /**
   * How a run asks for reads that skip the leader's confirmation: etcd has no
   * such switch, so its clients send serializable ranges and the harness
   * records them as linearizable; Trellis takes a server flag.
   */
  readonly staleReads: 'serializable-ranges' | 'server-flag';
  /** A log line the member writes when fsync fails, for the disk-error check. */
  readonly fsyncFailureLog: RegExp;
}

const maxHeadBytes = 16 * 1024;

/** etcd's rafthttp names the sending member in an X-Server-From header on every stream, pipeline and snapshot request. */
export function identifyEtcdPeer(head: Buffer): PeerIdentification {
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return head.length >= maxHeadBytes ? { kind: 'unknown' } : { kind: 'need-more' };
  const match = /^x-server-from:\s*([0-9a-f]+)\s*$/im.exec(head.subarray(0, end).toString('latin1'));
  return match === null ? { kind: 'unknown' } : { kind: 'member', token: match[1]!.toLowerCase() };
}

/**
 * Trellis's peer channel opens with a length-prefixed hello frame: kind 0x10,
 * "TRLS", uint16 version, uint64 cluster id, then the sender's member id as a
 * uint8 length and UTF-8 bytes (src/net/wire.ts).
 */
export function identifyTrellisPeer(head: Buffer): PeerIdentification {
  if (head.length < 4) return { kind: 'need-more' };
  const length = head.readUInt32BE(0);
  if (length > 2048) return { kind: 'unknown' };
  if (head.length < 4 + length) return { kind: 'need-more' };
  const payload = head.subarray(4, 4 + length);
  if (payload.length < 16 || payload[0] !== 0x10 || payload.subarray(1, 5).toString('latin1') !== 'TRLS') return { kind: 'unknown' };
  const fromLength = payload[15]!;
  if (payload.length < 16 + fromLength) return { kind: 'unknown' };
  return { kind: 'member', token: payload.subarray(16, 16 + fromLength).toString('utf8') };
}

export const etcdBinary = '/usr/bin/etcd';

export const etcdSystem: SystemSpec = {
  name: 'etcd',
  runtime: 'go',
  command: (member) => ({ binary: etcdBinary, args: [...etcdStyleFlags(member), '--logger', 'zap', '--log-outputs', 'stderr'] }),
  unavailableReason: () => (existsSync(etcdBinary) ? undefined : `${etcdBinary} is missing: apt-get install -y etcd-server`),
  identifyPeer: identifyEtcdPeer,
  staleReads: 'serializable-ranges',
  fsyncFailureLog: /fsync|fdatasync|sync.*(fail|error)/i,
};

/** The trellis CLI next to this compiled file (dist/src/cli/main.js, or the same path under a helper's build dir). */
export function trellisMainPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
}

let trellisServerChecked: string | undefined | null = null;

export const trellisSystem: SystemSpec = {
  name: 'trellis',
  runtime: 'node',
  command: (member, options) => ({
    binary: process.execPath,
    args: [...memberNodeFlags(), trellisMainPath(), 'server', ...etcdStyleFlags(member), ...(options.unsafeStaleReads ? ['--unsafe-stale-linearizable-reads'] : [])],
  }),
  unavailableReason: () => {
    if (trellisServerChecked !== null) return trellisServerChecked;
    const main = trellisMainPath();
    if (!existsSync(main)) return (trellisServerChecked = `${main} does not exist: run npm run build first`);
    const help = spawnSync(process.execPath, [main, 'server', '--help'], { encoding: 'utf8', timeout: 20_000 });
    const text = `${help.stdout}${help.stderr}`;
    if (help.status !== 0 || !text.includes('--initial-cluster')) {
      return (trellisServerChecked = `trellis cannot start a replicated server yet: "trellis server --help" ${help.status === 0 ? 'lists no --initial-cluster flag' : `failed (${text.trim().split('\n')[0] ?? `exit ${help.status}`})`}; run with --system etcd until it exists`);
    }
    return (trellisServerChecked = undefined);
  },
  identifyPeer: identifyTrellisPeer,
  staleReads: 'server-flag',
  fsyncFailureLog: /fsync|fdatasync|disk/i,
};

export const systems: Readonly<Record<string, SystemSpec>> = { etcd: etcdSystem, trellis: trellisSystem };

export function systemByName(name: string): SystemSpec {
  const system = systems[name];
  if (system === undefined) throw new RangeError(`unknown system "${name}": choose one of ${Object.keys(systems).join(', ')}`);
  return system;
}
