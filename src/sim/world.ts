// A simulated world: machines with clocks and disks, the wires between them,
// and one event queue in virtual time that decides everything that happens.
// One seed gives one run, event for event, so a failure found once can be
// replayed, traced and debugged at will.
//
// Randomness: the seed makes one root generator, which forks one stream per
// purpose in a fixed order (machines, networks, disks, faults, workload).
// Each node, network and disk then forks its own stream from its purpose's
// root, in creation order. So adding a node draws only from the machine and
// disk roots and leaves every network's latencies and every fault unchanged;
// each boot of a node forks again, so one life's draws never shift the next.

import { fail } from '../assert.js';
import { nodeId, type NodeId } from '../ids.js';
import { SeededRandom, type Random } from '../runtime/random.js';
import { SimDriver, type DriverOptions } from './driver.js';
import type { SimEvent } from './event-queue.js';
import { LinkTable, type LinkBurst, type LinkConfig } from './links.js';
import { SimNetwork, type NetworkHost, type NetworkOptions } from './network.js';
import { DiskGate } from './disk-gate.js';
import { SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { createSimEnvironment, type SimNodeEnvironment } from './sim-environment.js';
import { SimNode, type SimNodeStatus } from './sim-node.js';
import { summarizeWorld } from './summary.js';
import { Trace, type TraceOptions } from './trace.js';

export interface WorldOptions {
  readonly seed: number;
  /** Wall time at virtual time 0. A fixed default keeps traces identical across days. */
  readonly epochMs?: number;
  readonly trace?: TraceOptions;
  readonly driver?: DriverOptions;
  /** Link quality for every link unless configured otherwise. */
  readonly links?: Partial<LinkConfig>;
  readonly maxInflightMessagesPerLink?: number;
  /** Defaults for every node's SimDisk. */
  readonly disk?: DiskSettings;
  /** Events a paused node may accumulate before the run fails. */
  readonly maxDeferredEventsPerNode?: number;
}

export interface DiskSettings {
  readonly operationLatencyMs?: number;
  readonly datasyncLatencyMs?: number;
  readonly capacityBytes?: number;
}

export type { SimNodeEnvironment } from './sim-environment.js';

export interface NodeSpec<P> {
  /** Starts the node's process; called at addNode and at every restart, with the same disk and clock. */
  boot(env: SimNodeEnvironment): P | Promise<P>;
  readonly clock?: { readonly offsetMs?: number; readonly driftPpm?: number };
  readonly disk?: DiskSettings;
}

export const defaultEpochMs = 1_700_000_000_000;
export const defaultMaxDeferredEventsPerNode = 100_000;

interface NodeEntry {
  readonly node: SimNode;
  readonly spec: NodeSpec<unknown>;
  /** As configured, so a disk-full fault can be undone. */
  readonly capacityBytes: number | undefined;
  readonly diskGate: DiskGate;
}

export type RandomStream = 'faults' | 'workload';

export class World implements NetworkHost {
  readonly seed: number;
  readonly driver: SimDriver;
  readonly trace: Trace;
  readonly links: LinkTable;
  private readonly wallAtZeroMs: number;
  private readonly diskSettings: DiskSettings;
  private readonly maxDeferredEventsPerNode: number;
  private readonly machineRoot: Random;
  private readonly networkRoot: Random;
  private readonly diskRoot: Random;
  private readonly faultRoot: Random;
  private readonly workloadRoot: Random;
  private readonly nodes = new Map<NodeId, NodeEntry>();
  private readonly networks = new Map<string, SimNetwork<unknown>>();

  constructor(options: WorldOptions) {
    if (!Number.isInteger(options.seed)) fail(`seed must be an integer, got ${options.seed}`);
    this.seed = options.seed;
    this.driver = new SimDriver(options.driver);
    this.trace = new Trace(options.trace);
    this.links = new LinkTable({ defaults: options.links, maxInflightMessagesPerLink: options.maxInflightMessagesPerLink });
    this.wallAtZeroMs = options.epochMs ?? defaultEpochMs;
    this.diskSettings = options.disk ?? {};
    this.maxDeferredEventsPerNode = options.maxDeferredEventsPerNode ?? defaultMaxDeferredEventsPerNode;
    const root = new SeededRandom(options.seed);
    this.machineRoot = root.fork();
    this.networkRoot = root.fork();
    this.diskRoot = root.fork();
    this.faultRoot = root.fork();
    this.workloadRoot = root.fork();
  }

  nowMs(): number {
    return this.driver.nowMs();
  }

  /** An independent stream for fault schedules or client workloads; forks in call order. */
  forkRandom(stream: RandomStream): Random {
    return stream === 'faults' ? this.faultRoot.fork() : this.workloadRoot.fork();
  }

  // ---- nodes ----

  /** Adds a machine and boots its process at the current virtual time (it runs with the next runFor/step). */
  addNode<P>(id: string, spec: NodeSpec<P>): NodeId {
    const name = nodeId(id);
    if (this.nodes.has(name)) fail(`node ${id} already exists`);
    if (!(!/\s/.test(id) && id.length > 0)) fail(`node id ${JSON.stringify(id)} must be non-empty without spaces: it is a trace column`);
    const clock = new SimClock({ virtualNowMs: () => this.driver.nowMs(), epochMs: this.wallAtZeroMs, offsetMs: spec.clock?.offsetMs, driftPpm: spec.clock?.driftPpm });
    const machineRandom = this.machineRoot.fork();
    const diskSettings = { ...this.diskSettings, ...spec.disk };
    let node: SimNode | undefined = undefined;
    const diskGate = new DiskGate(this.driver);
    const disk = new SimDisk({
      random: this.diskRoot.fork(),
      schedule: diskGate.scheduler(() => node!),
      operationLatencyMs: diskSettings.operationLatencyMs,
      datasyncLatencyMs: diskSettings.datasyncLatencyMs,
      capacityBytes: diskSettings.capacityBytes,
      trace: (line) => this.trace.record(this.driver.nowMs(), name, 'disk', line),
    });
    node = new SimNode(name, clock, disk, machineRandom, this.driver, this.maxDeferredEventsPerNode);
    this.nodes.set(name, { node, spec: spec as NodeSpec<unknown>, capacityBytes: diskSettings.capacityBytes, diskGate });
    this.boot(node);
    return name;
  }

  nodeIds(): NodeId[] {
    return [...this.nodes.keys()];
  }

  node(id: NodeId | string): SimNode | undefined {
    return this.nodes.get(id as NodeId)?.node;
  }

  status(id: string): SimNodeStatus {
    return this.entry(id).node.status;
  }

  incarnation(id: string): number {
    return this.entry(id).node.incarnation;
  }

  /** What the node's boot returned, once it has; undefined while booting or crashed. */
  process<P>(id: string): P | undefined {
    return this.entry(id).node.process as P | undefined;
  }

  disk(id: string): SimDisk {
    return this.entry(id).node.disk;
  }

  /** The node's disk capacity as configured (undefined: unlimited), whatever faults have done since. */
  diskCapacityBytes(id: string): number | undefined {
    return this.entry(id).capacityBytes;
  }

  /** Holds every disk completion of the machine until unstallDisk, as a hung device does. */
  stallDisk(id: string): void {
    this.record(id, 'disk-stall', '');
    this.entry(id).diskGate.stall();
  }

  unstallDisk(id: string): void {
    const { diskGate } = this.entry(id);
    this.record(id, 'disk-unstall', `${diskGate.heldCount()} held`);
    diskGate.release();
  }

  isDiskStalled(id: string): boolean {
    return this.entry(id).diskGate.isStalled();
  }

  clock(id: string): SimClock {
    return this.entry(id).node.clock;
  }

  /**
   * Kills the process at once, as a power cut does: unsynced disk state may be
   * lost, timers and disk completions never fire, transports close, and
   * messages to or from this incarnation are dropped when they arrive.
   */
  crash(id: string): void {
    const { node } = this.entry(id);
    this.record(node.id, 'crash', `incarnation ${node.incarnation}`);
    node.disk.crash();
    node.markCrashed();
  }

  /** Boots a new incarnation from the same disk and clock. */
  restart(id: string): void {
    const { node } = this.entry(id);
    this.boot(node);
  }

  /** Stops the process as SIGSTOP does: it runs nothing; its timers, messages and disk completions wait. */
  pause(id: string): void {
    const { node } = this.entry(id);
    this.record(node.id, 'pause', '');
    node.pause();
  }

  resume(id: string): void {
    const { node } = this.entry(id);
    this.record(node.id, 'resume', `${node.deferredCount()} waiting`);
    node.resume();
  }

  // ---- clocks ----

  setClockOffsetMs(id: string, offsetMs: number): void {
    this.record(id, 'clock', `offset ${offsetMs}ms`);
    this.entry(id).node.clock.setOffsetMs(offsetMs);
  }

  setClockDriftPpm(id: string, driftPpm: number): void {
    this.record(id, 'clock', `drift ${driftPpm}ppm`);
    this.entry(id).node.clock.setDriftPpm(driftPpm);
  }

  jumpWallClock(id: string, deltaMs: number): void {
    this.record(id, 'clock', `jump ${deltaMs}ms`);
    this.entry(id).node.clock.jumpWallClock(deltaMs);
  }

  // ---- network ----

  /** A named network for one protocol's messages; transports come from each node's environment. */
  network<M>(name: string, options: NetworkOptions<M> = {}): SimNetwork<M> {
    if (this.networks.has(name)) fail(`network ${name} already exists`);
    const network = new SimNetwork<M>(name, this, this.networkRoot.fork(), options);
    this.networks.set(name, network as SimNetwork<unknown>);
    return network;
  }

  /** Cuts every link between the two groups, both ways. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.record('world', 'partition', `${groupA.join(',')} | ${groupB.join(',')}`);
    for (const a of groupA) {
      for (const b of groupB) {
        this.links.block(nodeId(a), nodeId(b));
        this.links.block(nodeId(b), nodeId(a));
      }
    }
  }

  /** Cuts one direction only: `from` can no longer reach `to`, but hears from it. */
  blockLink(from: string, to: string): void {
    this.record('world', 'block', `${from} -> ${to}`);
    this.links.block(nodeId(from), nodeId(to));
  }

  unblockLink(from: string, to: string): void {
    this.record('world', 'unblock', `${from} -> ${to}`);
    this.links.unblock(nodeId(from), nodeId(to));
  }

  /** Cuts every link to and from the node, including links to nodes added later. */
  isolate(id: string): void {
    this.record(id, 'isolate', '');
    this.links.isolate(nodeId(id));
  }

  /** Holds every message on the link until unclogged; none is lost. */
  clog(from: string, to: string): void {
    this.record('world', 'clog', `${from} -> ${to}`);
    this.links.clog(nodeId(from), nodeId(to));
  }

  unclog(from: string, to: string): void {
    this.record('world', 'unclog', `${from} -> ${to}`);
    this.links.unclog(nodeId(from), nodeId(to));
  }

  /** Ends every partition, isolation and clog. */
  heal(): void {
    this.record('world', 'heal', '');
    this.links.heal();
  }

  /** Whether a message sent now from `from` would get through to `to`, faults of link quality aside. */
  isReachable(from: string, to: string): boolean {
    const link = this.links.link(nodeId(from), nodeId(to));
    return !this.links.isBlocked(link) && !link.clogged;
  }

  configureLinks(config: Partial<LinkConfig>): void {
    this.links.configureAll(config);
  }

  configureLink(from: string, to: string, config: Partial<LinkConfig>): void {
    this.links.configure(nodeId(from), nodeId(to), config);
  }

  /** Lays loss, duplication or reordering over every link until cleared with null. */
  setLinkBurst(burst: Partial<LinkBurst> | null): void {
    this.record('world', 'burst', burst === null ? 'end' : JSON.stringify(burst));
    this.links.setBurst(burst);
  }

  // ---- running ----

  /** Runs `action` at virtual time `atMs` as a world event (a fault, a client step); a rejected async action fails the run. */
  at(atMs: number, label: string, action: () => unknown): SimEvent {
    return this.driver.at(atMs, () => {
      this.record('world', 'event', label);
      const result = action();
      if (result instanceof Promise) result.then(undefined, (error: unknown) => this.driver.fail(error));
    });
  }

  after(delayMs: number, label: string, action: () => unknown): SimEvent {
    return this.at(this.driver.nowMs() + delayMs, label, action);
  }

  runFor(durationMs: number): Promise<void> {
    return this.driver.runFor(durationMs);
  }

  runUntil(predicate: () => boolean, options: { readonly limitMs: number }): Promise<boolean> {
    return this.driver.runUntil(predicate, options);
  }

  step(): Promise<boolean> {
    return this.driver.step();
  }

  /** Fails the run: the current runFor/runUntil/step rejects with this error. */
  fail(error: unknown): void {
    this.driver.fail(error);
  }

  /** The world's state as text, for the report of a failing seed: nodes, clocks, networks and cut links. */
  summary(): string[] {
    return summarizeWorld(this);
  }

  /** Every network made so far, in creation order. */
  networkList(): SimNetwork<unknown>[] {
    return [...this.networks.values()];
  }

  /** Wall time at virtual time 0. */
  epochMs(): number {
    return this.wallAtZeroMs;
  }

  /** A free-form trace line, e.g. a client's view of a request. */
  record(who: string, kind: string, details: string): void {
    if (this.trace.enabled) this.trace.record(this.driver.nowMs(), who, kind, details);
  }

  private entry(id: string): NodeEntry {
    const entry = this.nodes.get(id as NodeId);
    if (entry === undefined) fail(`no node ${id}: add it with world.addNode first`);
    return entry;
  }

  private boot(node: SimNode): void {
    const incarnation = node.markBooted();
    const spec = this.nodes.get(node.id)!.spec;
    this.record(node.id, 'boot', `incarnation ${incarnation}`);
    const env = createSimEnvironment(node, incarnation, this.driver, this.trace);
    node.scheduleGuarded(0, () => {
      const result = spec.boot(env);
      if (result instanceof Promise) {
        return result.then((process) => {
          if (node.isAlive(incarnation)) node.process = process;
        });
      }
      node.process = result;
      return undefined;
    });
  }
}
