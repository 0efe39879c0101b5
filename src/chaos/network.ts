// How members reach each other and clients reach members, and how the
// harness breaks those paths. Two networks:
// - proxy: everything on 127.0.0.1; each member's advertised peer URL is a
//   userspace proxy in front of it, which can cut, delay or drop each
//   directed link;
// - netns: each member in its own network namespace on a bridge, links cut
//   by iptables DROP rules inside the receiving member's namespace (real
//   packet loss: TCP retransmits, and streams resume intact after a heal).
//   netem is not available in this kernel, so netns links cannot be delayed.

import type { Random } from '../runtime/random.js';
import { LinkTable, PeerProxy, type LinkRule, type ProxyStats } from './peer-proxy.js';
import type { PeerIdentification } from './system-spec.js';
import { freeListenPort } from '../runtime/node/listen-port.js';

export interface SlotAddresses {
  readonly clientUrl: string;
  readonly peerListenUrl: string;
  readonly peerAdvertiseUrl: string;
}

export interface ClusterNetwork {
  readonly kind: 'proxy' | 'netns';
  /** Addresses stay with the slot: a replacement member reuses them. */
  addresses(slot: string): SlotAddresses;
  netnsOf(slot: string): string | undefined;
  /** Applies rules to directed links, replacing whatever held before. */
  setLinks(rules: readonly { readonly from: string; readonly to: string; readonly rule: LinkRule }[]): Promise<void>;
  heal(): Promise<void>;
  describe(): string;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}

/** A port free now, below the ephemeral range (see listen-port.ts); the member binds it a moment later. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return freeListenPort(host);
}

export interface ProxyNetworkOptions {
  readonly slots: readonly string[];
  readonly identify: (head: Buffer) => PeerIdentification;
  readonly resolveMember: (token: string) => string | undefined;
  readonly random: Random;
}

export class ProxyNetwork implements ClusterNetwork {
  readonly kind = 'proxy';
  private readonly links = new LinkTable();
  private readonly proxies = new Map<string, PeerProxy>();
  private readonly slotAddresses = new Map<string, SlotAddresses>();

  private constructor(private readonly options: ProxyNetworkOptions) {}

  static async create(options: ProxyNetworkOptions): Promise<ProxyNetwork> {
    const network = new ProxyNetwork(options);
    for (const slot of options.slots) {
      const clientPort = await freePort();
      const peerPort = await freePort();
      const proxy = new PeerProxy({
        destination: slot,
        listenHost: '127.0.0.1',
        targetHost: '127.0.0.1',
        targetPort: peerPort,
        links: network.links,
        identify: options.identify,
        resolveMember: options.resolveMember,
        members: () => options.slots,
        random: options.random.fork(),
      });
      const proxyPort = await proxy.start();
      network.proxies.set(slot, proxy);
      network.slotAddresses.set(slot, {
        clientUrl: `http://127.0.0.1:${clientPort}`,
        peerListenUrl: `http://127.0.0.1:${peerPort}`,
        peerAdvertiseUrl: `http://127.0.0.1:${proxyPort}`,
      });
    }
    return network;
  }

  addresses(slot: string): SlotAddresses {
    const addresses = this.slotAddresses.get(slot);
    if (addresses === undefined) throw new RangeError(`no member slot named ${slot}`);
    return addresses;
  }

  netnsOf(): undefined {
    return undefined;
  }

  async setLinks(rules: readonly { readonly from: string; readonly to: string; readonly rule: LinkRule }[]): Promise<void> {
    this.links.clear();
    for (const { from, to, rule } of rules) this.links.set(from, to, rule);
  }

  async heal(): Promise<void> {
    this.links.clear();
    // Streams that lost bytes to a cut are corrupt; peers reconnect on clean ones.
    for (const proxy of this.proxies.values()) proxy.resetTainted();
  }

  describe(): string {
    return this.links.describe();
  }

  stats(): Record<string, ProxyStats> {
    return Object.fromEntries([...this.proxies].map(([slot, proxy]) => [slot, { ...proxy.stats }]));
  }

  async close(): Promise<void> {
    for (const proxy of this.proxies.values()) await proxy.close();
  }
}
