// The wires between simulated machines. Partitions, clogs and link quality
// belong to the machines' network, not to one protocol, so every SimNetwork
// of a world shares one LinkTable: a partition between jupiter and saturn
// cuts their Raft traffic and their client traffic alike.

import { assert, fail } from '../assert.js';
import type { NodeId } from '../ids.js';
import type { Random } from '../runtime/random.js';

/** How one directed link treats each message. */
export interface LinkConfig {
  /** One-way latency is uniform in [minLatencyMs, maxLatencyMs]. */
  readonly minLatencyMs: number;
  readonly maxLatencyMs: number;
  /** The occasional slow message (a retransmit, a GC pause in a router): this often, add up to tailLatencyMs. */
  readonly tailProbability: number;
  readonly tailLatencyMs: number;
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  /** This fraction of messages is held back by up to reorderDelayMs more, so later ones overtake it. */
  readonly reorderProbability: number;
  readonly reorderDelayMs: number;
}

export const defaultLinkConfig: LinkConfig = {
  minLatencyMs: 1,
  maxLatencyMs: 5,
  tailProbability: 0,
  tailLatencyMs: 0,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMs: 0,
};

/** Faults laid over every link for a while (a loss burst); each is the floor for that probability. */
export interface LinkBurst {
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  readonly reorderProbability: number;
  readonly reorderDelayMs: number;
}

const noBurst: LinkBurst = { lossProbability: 0, duplicateProbability: 0, reorderProbability: 0, reorderDelayMs: 0 };

export const defaultMaxInflightMessagesPerLink = 10_000;

/** A message held on a clogged link: re-sent when the link unclogs. */
export type HeldMessage = () => void;

export interface Link {
  readonly from: NodeId;
  readonly to: NodeId;
  config: LinkConfig;
  override: Partial<LinkConfig>;
  blocked: boolean;
  clogged: boolean;
  readonly held: HeldMessage[];
  inflight: number;
}

export class LinkTable {
  // Looked up on every send, so by sender then receiver rather than by a joined string key.
  private readonly bySender = new Map<NodeId, Map<NodeId, Link>>();
  /** Every link ever used, in creation order. */
  private readonly links: Link[] = [];
  private readonly isolated = new Set<NodeId>();
  private defaults: LinkConfig;
  private burst: LinkBurst = noBurst;
  readonly maxInflightMessagesPerLink: number;

  constructor(options: { defaults?: Partial<LinkConfig>; maxInflightMessagesPerLink?: number } = {}) {
    this.defaults = validated({ ...defaultLinkConfig, ...options.defaults });
    this.maxInflightMessagesPerLink = options.maxInflightMessagesPerLink ?? defaultMaxInflightMessagesPerLink;
    assert(this.maxInflightMessagesPerLink > 0, 'maxInflightMessagesPerLink must be positive');
  }

  link(from: NodeId, to: NodeId): Link {
    let outgoing = this.bySender.get(from);
    if (outgoing === undefined) {
      outgoing = new Map();
      this.bySender.set(from, outgoing);
    }
    let link = outgoing.get(to);
    if (link === undefined) {
      link = { from, to, config: this.defaults, override: {}, blocked: false, clogged: false, held: [], inflight: 0 };
      outgoing.set(to, link);
      this.links.push(link);
    }
    return link;
  }

  /** Changes every link, present and future, except fields a link overrides. */
  configureAll(config: Partial<LinkConfig>): void {
    this.defaults = validated({ ...this.defaults, ...config });
    for (const link of this.links) link.config = validated({ ...this.defaults, ...link.override });
  }

  /** Changes one directed link. */
  configure(from: NodeId, to: NodeId, config: Partial<LinkConfig>): void {
    const link = this.link(from, to);
    link.override = { ...link.override, ...config };
    link.config = validated({ ...this.defaults, ...link.override });
  }

  setBurst(burst: Partial<LinkBurst> | null): void {
    this.burst = burst === null ? noBurst : { ...noBurst, ...burst };
  }

  /** Nothing crosses from a to b, checked both when a message is sent and when it would arrive. */
  isBlocked(link: Link): boolean {
    return link.blocked || this.isolated.has(link.from) || this.isolated.has(link.to);
  }

  block(from: NodeId, to: NodeId): void {
    this.link(from, to).blocked = true;
  }

  unblock(from: NodeId, to: NodeId): void {
    this.link(from, to).blocked = false;
  }

  isolate(node: NodeId): void {
    this.isolated.add(node);
  }

  isIsolated(node: NodeId): boolean {
    return this.isolated.has(node);
  }

  clog(from: NodeId, to: NodeId): void {
    this.link(from, to).clogged = true;
  }

  /** Releases the held messages, each re-sent with a fresh latency, in the order they were held. */
  unclog(from: NodeId, to: NodeId): void {
    const link = this.link(from, to);
    link.clogged = false;
    const held = link.held.splice(0);
    for (const resend of held) resend();
  }

  /** Ends every partition, isolation and clog; link quality and bursts stay as configured. */
  heal(): void {
    this.isolated.clear();
    const clogged: Link[] = [];
    for (const link of this.links) {
      link.blocked = false;
      if (link.clogged) clogged.push(link);
    }
    for (const link of clogged) this.unclog(link.from, link.to);
  }

  /**
   * Draws how long a message takes, or null if it is lost. Each call makes the
   * same draws for the same config, so replays line up.
   */
  sampleLatencyMs(link: Link, random: Random): number | null {
    const config = link.config;
    if (random.chance(Math.max(config.lossProbability, this.burst.lossProbability))) return null;
    let delayMs = config.minLatencyMs + random.nextFloat() * (config.maxLatencyMs - config.minLatencyMs);
    if (config.tailProbability > 0 && random.chance(config.tailProbability)) delayMs += random.nextFloat() * config.tailLatencyMs;
    return delayMs;
  }

  /** Extra delay for a message held back so that later ones overtake it; 0 for most. */
  sampleReorderDelayMs(link: Link, random: Random): number {
    const reorderProbability = Math.max(link.config.reorderProbability, this.burst.reorderProbability);
    if (reorderProbability === 0 || !random.chance(reorderProbability)) return 0;
    return random.nextFloat() * Math.max(link.config.reorderDelayMs, this.burst.reorderDelayMs);
  }

  duplicateProbability(link: Link): number {
    return Math.max(link.config.duplicateProbability, this.burst.duplicateProbability);
  }
}

function validated(config: LinkConfig): LinkConfig {
  if (!(config.minLatencyMs >= 0 && config.maxLatencyMs >= config.minLatencyMs)) fail(`latency range [${config.minLatencyMs}, ${config.maxLatencyMs}] ms is empty or negative`);
  assert(config.tailLatencyMs >= 0 && config.reorderDelayMs >= 0, 'tailLatencyMs and reorderDelayMs must be non-negative');
  for (const name of ['tailProbability', 'lossProbability', 'duplicateProbability', 'reorderProbability'] as const) {
    if (!(config[name] >= 0 && config[name] <= 1)) fail(`${name} must be within [0, 1], got ${config[name]}`);
  }
  return config;
}
