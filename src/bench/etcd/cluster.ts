// A three-member cluster of one system on 127.0.0.1, with fresh data
// directories, each member's output in its own log file.

import { type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcesses } from './child-processes.js';
import type { BenchSystem, ClusterSettings, MemberLaunch } from './systems.js';
import { freeListenPort } from '../../runtime/node/listen-port.js';

export const MEMBER_NAMES = ['jupiter', 'saturn', 'neptune'] as const;

export interface RunningMember {
  readonly name: string;
  readonly pid: number;
  /** host:port of its client (gRPC) listener. */
  readonly endpoint: string;
  readonly logPath: string;
  readonly child: ChildProcess;
}

export interface RunningCluster {
  readonly system: BenchSystem;
  readonly members: readonly RunningMember[];
  readonly endpoints: readonly string[];
  readonly pids: readonly number[];
}

/** Ports the kernel just handed out; all are held open together so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freeListenPort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** The launch plan of each member: pure, so the flags both systems get can be read and tested. */
export function planMembers(settings: ClusterSettings, dataRoot: string, clusterToken: string, clientPorts: readonly number[], peerPorts: readonly number[]): MemberLaunch[] {
  const initialCluster = clientPorts.map((_, i) => ({ name: MEMBER_NAMES[i]!, peerUrl: `http://127.0.0.1:${peerPorts[i]}` }));
  return initialCluster.map(({ name, peerUrl }, i) => ({
    ...settings,
    name,
    dataDir: join(dataRoot, name),
    clientUrl: `http://127.0.0.1:${clientPorts[i]}`,
    peerListenUrl: peerUrl,
    peerAdvertiseUrl: peerUrl,
    initialCluster,
    clusterState: 'new',
    clusterToken,
  }));
}

export async function startCluster(options: {
  readonly system: BenchSystem;
  readonly settings: ClusterSettings;
  readonly dataRoot: string;
  readonly logDir: string;
  readonly label: string;
  readonly processes: ChildProcesses;
  /** 3 unless a smoke test wants a single member. */
  readonly memberCount?: 1 | 3;
}): Promise<RunningCluster> {
  const { system, settings, dataRoot, logDir, label, processes } = options;
  const count = options.memberCount ?? 3;
  const ports = await freePorts(count * 2);
  const plans = planMembers(settings, dataRoot, `bench-${label}`, ports.slice(0, count), ports.slice(count));
  mkdirSync(logDir, { recursive: true });
  const members: RunningMember[] = [];
  for (const plan of plans) {
    // etcd warns about data directories others can read; 0700 is what it asks for.
    mkdirSync(plan.dataDir, { recursive: true, mode: 0o700 });
    const logPath = join(logDir, `${label}-${plan.name}.log`);
    const log = openSync(logPath, 'a');
    const { binary, args, env } = system.command(plan, { unsafeStaleReads: false });
    const child = processes.spawn(binary, args, { stdio: ['ignore', log, log], ...(env === undefined ? {} : { env: { ...process.env, ...env } }) });
    closeSync(log);
    if (child.pid === undefined) {
      await Promise.all(members.map((m) => processes.stop(m.child)));
      throw new Error(`${system.name}: could not start ${binary} for ${plan.name}`);
    }
    members.push({ name: plan.name, pid: child.pid, endpoint: plan.clientUrl.replace('http://', ''), logPath, child });
  }
  return { system, members, endpoints: members.map((m) => m.endpoint), pids: members.map((m) => m.pid) };
}

/** Members that have exited: how each ended, with its log's path, and the end of that log for the terminal. */
export function deadMembers(cluster: RunningCluster): { readonly summary: string; readonly tails: string }[] {
  return cluster.members
    .filter((m) => m.child.exitCode !== null || m.child.signalCode !== null)
    .map((m) => ({
      summary: `${m.name} exited (${m.child.exitCode !== null ? `code ${m.child.exitCode}` : m.child.signalCode}; log ${m.logPath})`,
      tails: `end of ${m.logPath}:\n${logTail(m.logPath)}`,
    }));
}

/** Settles with a member's exit as soon as one exits (never, while all run). */
export function firstExit(cluster: RunningCluster): Promise<string> {
  return new Promise((resolve) => {
    for (const m of cluster.members) {
      if (m.child.exitCode !== null || m.child.signalCode !== null) resolve(`${m.name} exited`);
      m.child.once('exit', () => resolve(`${m.name} exited`));
    }
  });
}

/** The last lines of a log, reading at most its last 16 KiB however large it grew. */
export function logTail(path: string, lines = 8): string {
  if (!existsSync(path)) return '(no log)';
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const tail = Buffer.alloc(Math.min(size, 16 * 1024));
  readSync(fd, tail, 0, tail.length, size - tail.length);
  closeSync(fd);
  const text = tail.toString('utf8').trimEnd().split('\n');
  return text.slice(-lines).map((line) => `    ${line.slice(0, 300)}`).join('\n');
}

export async function stopCluster(cluster: RunningCluster, processes: ChildProcesses): Promise<void> {
  await Promise.all(cluster.members.map((m) => processes.stop(m.child)));
}
