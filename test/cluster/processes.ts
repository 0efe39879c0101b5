// Real clusters for the tests of issue 5: Trellis members (or etcd 3.4
// members, for recording reference outputs) as OS processes on 127.0.0.1,
// each with its own data directory under one temporary root. Ports come from
// the kernel (bind to port 0, then release), so parallel test files do not
// collide. Every process is killed when the cluster stops.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeListenPort } from '../../src/runtime/node/listen-port.js';
import { memberNodeFlags } from '../../src/runtime/node/member-node-flags.js';

export type System = 'trellis' | 'etcd';

export const trellisMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ClusterMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  process: ChildProcess | null;
  log: string;
}

export function freePort(): Promise<number> {
  return freeListenPort();
}

export interface ClusterOptions {
  readonly system?: System;
  readonly members?: number;
  /** Extra flags for every member (e.g. a short election timeout). */
  readonly flags?: readonly string[];
  readonly token?: string;
}

export class TestCluster {
  readonly members: ClusterMember[] = [];
  readonly root: string;
  readonly system: System;
  private readonly flags: readonly string[];
  private readonly token: string;

  private constructor(options: ClusterOptions) {
    this.system = options.system ?? 'trellis';
    this.flags = options.flags ?? [];
    this.token = options.token ?? `test-${process.pid}-${Date.now()}`;
    this.root = mkdtempSync(join(tmpdir(), `trellis-${this.system}-cluster-`));
  }

  /** Ports and data directories for every member, none started yet (e.g. to restore a snapshot into them first). */
  static async create(options: ClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster(options);
    const count = options.members ?? 3;
    for (let i = 1; i <= count; i++) {
      cluster.members.push({ name: `n${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(cluster.root, `n${i}`), process: null, log: '' });
    }
    return cluster;
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const cluster = await TestCluster.create(options);
    await cluster.launchAll();
    return cluster;
  }

  /** A new member's ports and directory (not started): `member add` it, then launch it with state 'existing'. */
  async spareMember(name: string): Promise<ClusterMember> {
    const member: ClusterMember = { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(this.root, name), process: null, log: '' };
    this.members.push(member);
    return member;
  }

  async launchAll(): Promise<void> {
    for (const member of this.members) this.launch(member);
    await this.waitReady();
  }

  get clusterToken(): string {
    return this.token;
  }

  /** The flags a member of this cluster starts with (for `snapshot restore`, which takes the same ones). */
  memberFlags(name: string): string[] {
    const member = this.member(name);
    return [
      '--name', member.name, '--data-dir', member.dataDir,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${member.peerPort}`,
      '--initial-cluster', this.initialCluster(), '--initial-cluster-token', this.token,
    ];
  }

  /** host:port of every member, comma-separated, as etcdctl's --endpoints takes them. */
  get endpoints(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  endpoint(name: string): string {
    return `127.0.0.1:${this.member(name).clientPort}`;
  }

  member(name: string): ClusterMember {
    const found = this.members.find((m) => m.name === name);
    if (found === undefined) throw new Error(`no member ${name}`);
    return found;
  }

  initialCluster(): string {
    return this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  }

  launch(member: ClusterMember, state: 'new' | 'existing' = 'new', initialCluster = this.initialCluster()): void {
    const flags = [
      '--name', member.name, '--data-dir', member.dataDir,
      '--listen-client-urls', `http://127.0.0.1:${member.clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${member.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${member.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${member.peerPort}`,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', this.token,
      ...this.flags,
    ];
    const child = this.system === 'trellis'
      ? spawn(process.execPath, [...memberNodeFlags(), trellisMain, 'server', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/usr/bin/etcd', flags, { stdio: ['ignore', 'pipe', 'pipe'] });
    member.process = child;
    member.log = '';
    const keep = (chunk: Buffer): void => {
      member.log = (member.log + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', () => {
      if (member.process === child) member.process = null;
    });
  }

  /** Waits until every running member accepts connections on its client port. */
  async waitReady(limitMs = 20_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    for (const member of this.members) {
      if (member.process === null) continue;
      while (!(await accepts(member.clientPort))) {
        if (member.process === null) throw new Error(`${member.name} exited while starting:\n${member.log}`);
        if (Date.now() > deadline) throw new Error(`${member.name} did not listen within ${limitMs} ms:\n${member.log}`);
        await sleep(50);
      }
    }
  }

  /** SIGTERM (clean) or SIGKILL (crash), and waits for the exit. */
  async stopMember(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const member = this.member(name);
    const child = member.process;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async restartMember(name: string): Promise<void> {
    this.launch(this.member(name));
    await this.waitReady();
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.stopMember(m.name, 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Whether something accepts connections on the port (connecting, never binding: a bind could steal the port from a member starting up). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
