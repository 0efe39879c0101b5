// Launcher specs: the systems the benchmark can start, each described by how
// to launch one member from etcd's flag names. Adding a system is adding one
// spec to `benchSystems`. The shape matches src/chaos's SystemSpec where the
// two overlap (same MemberLaunch fields, same command signature), so a spec
// written for one harness fits the other.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdStyleFlags, type ClusterSettings, type MemberLaunch } from '../../api/etcd/member-launch.js';
import { memberNodeFlags } from '../../runtime/node/member-node-flags.js';

export { etcdStyleFlags, type ClusterSettings, type MemberLaunch };

/** etcd 3.4's defaults, written out so that both systems are told the same thing. */
export const defaultClusterSettings: ClusterSettings = {
  heartbeatMs: 100,
  electionMs: 1000,
  snapshotCount: 100_000,
  quotaBackendBytes: 2 * 1024 ** 3,
  maxRequestBytes: 1.5 * 1024 * 1024,
};

export interface SystemCommand {
  readonly binary: string;
  readonly args: readonly string[];
  /** Variables added to the benchmark's own environment for this system's members. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface BenchSystem {
  /** The label in progress lines and reports; the first system given is A, the second B, and ratios are B/A. */
  readonly name: string;
  /** How to start one member. The benchmark never asks for stale reads. */
  command(member: MemberLaunch, options: { readonly unsafeStaleReads: boolean }): SystemCommand;
  /** Why this system cannot be started here, or undefined when it can. */
  unavailableReason(): string | undefined;
}

export const etcdBinary = '/usr/bin/etcd';

/** etcd 3.4 from Debian; warnings only, so that logging costs it nothing measurable. */
export function etcdSystem(name = 'etcd'): BenchSystem {
  return {
    name,
    command: (member) => ({ binary: etcdBinary, args: [...etcdStyleFlags(member), '--logger', 'zap', '--log-level', 'warn', '--log-outputs', 'stderr'] }),
    unavailableReason: () => (existsSync(etcdBinary) ? undefined : `${etcdBinary} is missing: apt-get install -y etcd-server`),
  };
}

/** The trellis CLI beside this compiled file (dist/src/cli/main.js, or the same path under a helper's build dir). */
export function trellisMainPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'main.js');
}

export function trellisSystem(name = 'trellis', main: () => string = trellisMainPath, nodeArgsVariable = 'TRELLIS_BENCH_NODE_ARGS', envVariable?: string): BenchSystem {
  let checked: { reason: string | undefined } | undefined;
  return {
    name,
    command: (member) => ({
      binary: process.execPath,
      args: [...memberNodeFlags(memberNodeArgs(nodeArgsVariable)), main(), 'server', ...etcdStyleFlags(member)],
      ...(envVariable === undefined ? {} : { env: memberEnv(envVariable) }),
    }),
    unavailableReason: () => {
      checked ??= { reason: trellisServerProblem(main()) };
      return checked.reason;
    },
  };
}

/**
 * Node flags for the members, from TRELLIS_BENCH_NODE_ARGS (TRELLIS_B_NODE_ARGS
 * for trellis-b), space-separated: for profiling a run ("--cpu-prof
 * --cpu-prof-dir=/tmp/prof", which NODE_OPTIONS does not allow) or trying a
 * V8 setting against the default.
 */
function memberNodeArgs(variable: string): string[] {
  return (process.env[variable] ?? '').split(' ').filter((arg) => arg !== '');
}

/** NAME=value,NAME=value from the variable (TRELLIS_B_ENV): e.g. the bench switches of member-host.ts, for trellis-b alone. */
function memberEnv(variable: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (process.env[variable] ?? '').split(',').filter((p) => p !== '')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`${variable}: "${pair}" is not NAME=value`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return env;
}

function trellisServerProblem(main: string): string | undefined {
  if (!existsSync(main)) return `${main} does not exist: run npm run build first`;
  const help = spawnSync(process.execPath, [main, 'server', '--help'], { encoding: 'utf8', timeout: 20_000 });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  if (help.status === 0 && text.includes('--initial-cluster')) return undefined;
  const said = help.status === 0 ? 'lists no --initial-cluster flag' : `failed: ${text.trim().split('\n')[0] || `exit ${String(help.status)}`}`;
  return `trellis cannot start a replicated server yet ("trellis server --help" ${said})`;
}

/**
 * The systems `--systems` can name. etcd-b is etcd again under a second
 * label: running etcd against itself shows how much two runs of the same
 * system differ on this machine, which bounds what a ratio can tell.
 * trellis-b is Trellis again, or another build of it (TRELLIS_B_MAIN names
 * its src/cli/main.js), with its own node flags (TRELLIS_B_NODE_ARGS) and
 * bench switches (TRELLIS_B_ENV): a change, or a pattern turned off,
 * measured against the default in one run.
 */
export function benchSystems(): ReadonlyMap<string, BenchSystem> {
  return new Map([
    ['etcd', etcdSystem('etcd')],
    ['etcd-b', etcdSystem('etcd-b')],
    ['trellis', trellisSystem()],
    ['trellis-b', trellisSystem('trellis-b', () => process.env['TRELLIS_B_MAIN'] ?? trellisMainPath(), 'TRELLIS_B_NODE_ARGS', 'TRELLIS_B_ENV')],
  ]);
}
