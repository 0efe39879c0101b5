// A cluster of real member processes in fixed slots (jupiter, saturn, ...).
// A slot keeps its addresses for the whole run; the member in it may be
// killed and restarted, paused, or replaced by a new member with a wiped
// data directory (member remove, member add, start with state existing).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Etcd3, IStatusResponse } from 'etcd3';
import { killPidSync, registerCleanup, unmountSync } from './cleanup.js';
import { deadline, errorText, makeClient } from './clients.js';
import { MemberProcess } from './member-process.js';
import type { ClusterNetwork } from './network.js';
import type { MemberLaunch, SystemSpec } from './system-spec.js';

export const slotNames = ['jupiter', 'saturn', 'neptune', 'uranus', 'mercury'] as const;

export interface ClusterOptions {
  readonly system: SystemSpec;
  readonly slots: readonly string[];
  readonly runDir: string;
  readonly network: ClusterNetwork;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
  readonly unsafeStaleReads: boolean;
  /** Wrap members in libfaketime, one offset file each (only where the runtime goes through libc). */
  readonly faketime: boolean;
  /** Wrap members in libfiu's POSIX preload, controlled through fiu-ctrl. */
  readonly fiu: boolean;
  /** The slot whose data directory sits on its own small tmpfs, for the full-disk fault. */
  readonly smallDiskSlot?: string;
  readonly smallDiskBytes?: number;
  readonly now: () => number;
}

export class Slot {
  incarnation = 1;
  memberName: string;
  process: MemberProcess | null = null;
  memberId: string | undefined;
  launch: MemberLaunch | null = null;
  readonly faketimeFile: string | undefined;
  readonly fiuPrefix: string | undefined;
  readonly diskRoot: string;
  readonly client: Etcd3;

  constructor(readonly name: string, readonly clientUrl: string, options: ClusterOptions) {
    this.memberName = name;
    this.faketimeFile = options.faketime ? join(options.runDir, 'clock', `${name}.faketime`) : undefined;
    this.fiuPrefix = options.fiu ? join(options.runDir, 'fiu', name) : undefined;
    this.diskRoot = options.smallDiskSlot === name ? join(options.runDir, `disk-${name}`) : join(options.runDir, 'data');
    this.client = makeClient([clientUrl]);
  }

  get dataDir(): string {
    return join(this.diskRoot, this.memberName);
  }
}

export class Cluster {
  readonly slots = new Map<string, Slot>();
  private readonly tokens = new Map<string, string>();
  private readonly unregister: (() => void)[] = [];
  /** Processes of members that were replaced, kept for their exit records. */
  private readonly retired: MemberProcess[] = [];
  readonly clusterToken: string;

  constructor(readonly options: ClusterOptions) {
    this.clusterToken = `chaos-${process.pid}-${Math.floor(options.now())}`;
    for (const dir of ['logs', 'data', 'clock', 'fiu']) mkdirSync(join(options.runDir, dir), { recursive: true });
    for (const name of options.slots) {
      const slot = new Slot(name, options.network.addresses(name).clientUrl, options);
      this.slots.set(name, slot);
      this.tokens.set(name, name);
      if (slot.faketimeFile !== undefined) writeFileSync(slot.faketimeFile, '+0\n');
    }
    if (options.smallDiskSlot !== undefined) this.mountSmallDisk(this.slot(options.smallDiskSlot));
  }

  slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new RangeError(`no member slot named ${name}`);
    return slot;
  }

  get names(): string[] {
    return [...this.slots.keys()];
  }

  clientUrls(): string[] {
    return this.names.map((name) => this.slot(name).clientUrl);
  }

  /** Maps what the system calls a member (its name, or its id in hex or decimal) to the slot. */
  resolveToken(token: string): string | undefined {
    const direct = this.tokens.get(token) ?? this.tokens.get(token.toLowerCase());
    if (direct !== undefined || !/^[0-9a-fA-F]{1,16}$/.test(token)) return direct;
    // A hex id, perhaps zero-padded: etcd writes 8e9e05c52164694d, Trellis 008e9e05c52164694d.
    return this.tokens.get(BigInt(`0x${token}`).toString(16));
  }

  async start(): Promise<void> {
    for (const slot of this.slots.values()) this.launch(slot, 'new', this.initialCluster());
    await this.waitUntilServing(this.names, 60_000);
    await this.learnMemberIds();
  }

  private initialCluster(): { name: string; peerUrl: string }[] {
    return [...this.slots.values()].map((s) => ({ name: s.memberName, peerUrl: this.options.network.addresses(s.name).peerAdvertiseUrl }));
  }

  private launch(slot: Slot, state: 'new' | 'existing', initialCluster: readonly { name: string; peerUrl: string }[]): void {
    const addresses = this.options.network.addresses(slot.name);
    mkdirSync(slot.diskRoot, { recursive: true });
    slot.launch = {
      name: slot.memberName,
      dataDir: slot.dataDir,
      clientUrl: addresses.clientUrl,
      peerListenUrl: addresses.peerListenUrl,
      peerAdvertiseUrl: addresses.peerAdvertiseUrl,
      initialCluster,
      clusterState: state,
      clusterToken: this.clusterToken,
      heartbeatMs: this.options.heartbeatMs,
      electionMs: this.options.electionMs,
      snapshotCount: this.options.snapshotCount,
      quotaBackendBytes: this.options.quotaBackendBytes,
      maxRequestBytes: this.options.maxRequestBytes,
    };
    this.tokens.set(slot.memberName.toLowerCase(), slot.name);
    this.startProcess(slot);
  }

  private startProcess(slot: Slot): void {
    const command = this.options.system.command(slot.launch!, { unsafeStaleReads: this.options.unsafeStaleReads });
    const process = new MemberProcess(slot.memberName, command.binary, command.args, join(this.options.runDir, 'logs', `${slot.memberName}.log`), {
      netns: this.options.network.netnsOf(slot.name),
      faketimeFile: slot.faketimeFile,
      fiuControlPrefix: slot.fiuPrefix,
    }, this.options.now);
    slot.process = process;
    process.start();
    this.unregister.push(registerCleanup(() => killPidSync(process.pid)));
  }

  /** Starts the slot's member again on its data directory, as after a crash. */
  restart(name: string): void {
    const slot = this.slot(name);
    if (slot.process?.running === true) return;
    if (slot.process === null) this.startProcess(slot);
    else slot.process.start();
  }

  async kill(name: string): Promise<void> {
    await this.slot(name).process?.kill();
  }

  pause(name: string): boolean {
    return this.slot(name).process?.signal('SIGSTOP') ?? false;
  }

  resume(name: string): boolean {
    return this.slot(name).process?.signal('SIGCONT') ?? false;
  }

  running(name: string): boolean {
    return this.slot(name).process?.running === true;
  }

  async status(name: string, timeoutMs = 1_000): Promise<IStatusResponse | undefined> {
    try {
      return await this.slot(name).client.maintenance.status(deadline(timeoutMs));
    } catch {
      return undefined;
    }
  }

  /** The slot the serving members agree leads in the highest term they report, if any. */
  async leader(): Promise<string | undefined> {
    const statuses = await Promise.all(this.names.map(async (name) => ({ name, status: this.running(name) && !this.slot(name).process!.isPaused ? await this.status(name) : undefined })));
    let best: { term: number; leader: string } | undefined;
    for (const { status } of statuses) {
      if (status === undefined || status.leader === '0') continue;
      const term = Number(status.raftTerm);
      if (best === undefined || term > best.term) best = { term, leader: status.leader };
    }
    return best === undefined ? undefined : this.resolveToken(best.leader);
  }

  async waitUntilServing(names: readonly string[], timeoutMs: number): Promise<void> {
    const start = this.options.now();
    const waiting = new Set(names);
    while (waiting.size > 0) {
      for (const name of [...waiting]) if ((await this.status(name, 500)) !== undefined) waiting.delete(name);
      if (waiting.size === 0) return;
      if (this.options.now() - start > timeoutMs) {
        throw new Error(`members ${[...waiting].join(', ')} did not serve within ${timeoutMs} ms: see ${join(this.options.runDir, 'logs')}`);
      }
      await sleep(200);
    }
  }

  /** Member ids as the system reports them, so a proxy can tell which member dialed it. */
  async learnMemberIds(): Promise<void> {
    for (const name of this.names) {
      try {
        const list = await this.slot(name).client.cluster.memberList({}, deadline(2_000));
        for (const member of list.members) {
          const slot = [...this.slots.values()].find((s) => s.memberName === member.name);
          if (slot === undefined) continue;
          slot.memberId = member.ID;
          this.tokens.set(member.ID, slot.name);
          this.tokens.set(BigInt(member.ID).toString(16), slot.name);
        }
        return;
      } catch {
        // ask the next member
      }
    }
  }

  /**
   * Replaces the slot's member by a new one with an empty data directory:
   * remove it through another member, stop it, wipe its data, add the new
   * member, start it with --initial-cluster-state existing.
   */
  async replace(name: string, log: (line: string) => void): Promise<void> {
    const slot = this.slot(name);
    const others = this.names.filter((n) => n !== name && this.running(n));
    if (slot.memberId === undefined) await this.learnMemberIds();
    if (slot.memberId === undefined) throw new Error(`cannot replace ${name}: its member id is unknown`);
    // A removed member stops by itself: that exit is the harness's doing.
    slot.process?.expectExit();
    // A retry after an attempt whose answer was lost (a deadline during an election) finds the member gone: that is success.
    const removed = await this.viaAnyOf(others, async (client) => {
      try {
        return await client.cluster.memberRemove({ ID: slot.memberId! }, deadline(5_000));
      } catch (error) {
        if (!/member not found/.test(errorText(error))) throw error;
        const { members } = await client.cluster.memberList({}, deadline(5_000));
        if (members.some((member) => String(member.ID) === String(slot.memberId))) throw error;
        return { members };
      }
    }, 20_000);
    log(`removed member ${slot.memberName} (${slot.memberId}) through ${removed.members.length} remaining members`);
    await slot.process?.close();
    if (slot.process !== null) this.retired.push(slot.process);
    slot.process = null;
    rmSync(slot.dataDir, { recursive: true, force: true });
    slot.incarnation++;
    slot.memberName = `${name}-${slot.incarnation}`;
    slot.memberId = undefined;
    const peerUrl = this.options.network.addresses(name).peerAdvertiseUrl;
    const added = await this.viaAnyOf(others, (client) => client.cluster.memberAdd({ peerURLs: [peerUrl] }, deadline(5_000)), 20_000);
    slot.memberId = added.member.ID;
    this.tokens.set(added.member.ID, name);
    this.tokens.set(BigInt(added.member.ID).toString(16), name);
    const initialCluster = added.members.map((m) => ({ name: m.ID === added.member.ID ? slot.memberName : m.name, peerUrl: m.peerURLs[0]! }));
    log(`added member ${slot.memberName} (${added.member.ID}); starting it with state existing`);
    this.launch(slot, 'existing', initialCluster);
  }

  private async viaAnyOf<T>(names: readonly string[], call: (client: Etcd3) => Promise<T>, timeoutMs: number): Promise<T> {
    const start = this.options.now();
    let lastError = 'no member to ask';
    while (this.options.now() - start < timeoutMs) {
      for (const name of names) {
        try {
          return await call(this.slot(name).client);
        } catch (error) {
          lastError = `${name}: ${errorText(error)}`;
        }
      }
      await sleep(300);
    }
    throw new Error(`no member answered within ${timeoutMs} ms (last: ${lastError})`);
  }

  /** Exits the harness did not cause: crashes, or someone else's signal. */
  unexpectedExits(): string[] {
    const processes = [...this.retired, ...[...this.slots.values()].flatMap((slot) => (slot.process === null ? [] : [slot.process]))];
    return processes.flatMap((process) =>
      process.exits.filter((exit) => !exit.expected).map((exit) => `${process.name} exited at ${exit.atMs.toFixed(0)} ms (code ${exit.code}, signal ${exit.signal}): see logs/${process.name}.log`),
    );
  }

  private mountSmallDisk(slot: Slot): void {
    mkdirSync(slot.diskRoot, { recursive: true });
    const size = this.options.smallDiskBytes ?? 256 * 1024 * 1024;
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', slot.diskRoot], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`cannot mount a ${size}-byte tmpfs at ${slot.diskRoot} for the full-disk fault: ${mounted.stderr.trim()}`);
    this.unregister.push(registerCleanup(() => unmountSync(slot.diskRoot)));
  }

  async close(): Promise<void> {
    for (const slot of this.slots.values()) {
      await slot.process?.close();
      slot.client.close();
    }
    if (this.options.smallDiskSlot !== undefined) unmountSync(this.slot(this.options.smallDiskSlot).diskRoot);
    for (const undo of this.unregister) undo();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
