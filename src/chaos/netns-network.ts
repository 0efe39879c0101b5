// The netns network: one namespace per member slot, each with a veth into a
// bridge the harness's namespace also sits on. Members listen on their own
// namespace address (so every member can use the standard ports), clients
// reach them across the bridge, and a cut link from -> to is an iptables
// rule in to's namespace dropping packets from from's address. Names carry
// the harness's pid, so namespaces a crashed harness left behind are found
// and removed by the next run.

import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { registerCleanup } from './cleanup.js';
import type { LinkRule } from './peer-proxy.js';
import type { ClusterNetwork, SlotAddresses } from './network.js';

const run = promisify(execFile);
const namespacePrefix = 'trchaos-';
let networkCounter = 0;

async function sh(command: string, args: readonly string[]): Promise<void> {
  try {
    await run(command, [...args], { timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const [command, args] of [['ip', ['netns', 'list']], ['iptables', ['--version']]] as const) {
    const probe = spawnSync(command, [...args], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) return `${command} is not usable (${probe.error?.message ?? probe.stderr.trim()}): apt-get install -y iproute2 iptables`;
  }
  return undefined;
}

/** Removes namespaces and bridges left by harness processes that no longer exist. */
export function removeStaleNamespaces(): void {
  const listing = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of listing.stdout?.split('\n') ?? []) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${namespacePrefix}(\\d+)-(\\w+)-`).exec(name);
    if (match === null || processAlive(Number(match[1]))) continue;
    spawnSync('ip', ['netns', 'del', name]);
    spawnSync('ip', ['link', 'del', `tcb${match[2]}`]);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NetnsNetwork implements ClusterNetwork {
  readonly kind = 'netns';
  private readonly namespaces = new Map<string, string>();
  private readonly ips = new Map<string, string>();
  private readonly bridge: string;
  private readonly tag: string;
  private cuts: string[] = [];
  private closed = false;
  private unregister: () => void = () => {};

  private constructor(private readonly slots: readonly string[], private readonly subnet: string) {
    this.tag = `${(networkCounter++).toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
    this.bridge = `tcb${this.tag}`;
    slots.forEach((slot, i) => {
      this.namespaces.set(slot, `${namespacePrefix}${process.pid}-${this.tag}-${i}`);
      this.ips.set(slot, `${subnet}.${10 + i}`);
    });
  }

  static async create(slots: readonly string[]): Promise<NetnsNetwork> {
    const reason = netnsUnavailableReason();
    if (reason !== undefined) throw new Error(`cannot build the netns network: ${reason}`);
    removeStaleNamespaces();
    const network = new NetnsNetwork(slots, pickSubnet());
    network.unregister = registerCleanup(() => network.removeSync());
    try {
      await network.build();
    } catch (error) {
      network.removeSync();
      throw error;
    }
    return network;
  }

  private async build(): Promise<void> {
    await sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    await sh('ip', ['addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge]);
    await sh('ip', ['link', 'set', this.bridge, 'up']);
    for (const [i, slot] of this.slots.entries()) {
      const ns = this.namespaces.get(slot)!;
      const hostEnd = `tch${this.tag}${i}`;
      const memberEnd = `tcn${this.tag}${i}`;
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', memberEnd]);
      await sh('ip', ['link', 'set', memberEnd, 'netns', ns]);
      await sh('ip', ['link', 'set', hostEnd, 'master', this.bridge, 'up']);
      await sh('ip', ['-n', ns, 'addr', 'add', `${this.ips.get(slot)}/24`, 'dev', memberEnd]);
      await sh('ip', ['-n', ns, 'link', 'set', memberEnd, 'up']);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  addresses(slot: string): SlotAddresses {
    const ip = this.ips.get(slot);
    if (ip === undefined) throw new RangeError(`no member slot named ${slot}`);
    return { clientUrl: `http://${ip}:2379`, peerListenUrl: `http://${ip}:2380`, peerAdvertiseUrl: `http://${ip}:2380` };
  }

  netnsOf(slot: string): string | undefined {
    return this.namespaces.get(slot);
  }

  async setLinks(rules: readonly { readonly from: string; readonly to: string; readonly rule: LinkRule }[]): Promise<void> {
    await this.heal();
    for (const { from, to, rule } of rules) {
      if (rule.kind === 'pass') continue;
      if (rule.kind !== 'cut') throw new RangeError(`the netns network can only cut links (netem is not available here), not ${rule.kind} them`);
      await this.iptables(to, ['-A', 'INPUT', '-s', this.ips.get(from)!, '-j', 'DROP']);
      this.cuts.push(`${from}>${to}`);
    }
  }

  async heal(): Promise<void> {
    for (const slot of this.slots) await this.iptables(slot, ['-F', 'INPUT']);
    this.cuts = [];
  }

  private async iptables(slot: string, args: readonly string[]): Promise<void> {
    await sh('ip', ['netns', 'exec', this.namespaces.get(slot)!, 'iptables', '-w', '5', ...args]);
  }

  describe(): string {
    return this.cuts.length === 0 ? 'all links pass' : this.cuts.map((c) => `${c}:cut`).join(' ');
  }

  stats(): Record<string, unknown> {
    return { bridge: this.bridge, namespaces: Object.fromEntries(this.namespaces), addresses: Object.fromEntries(this.ips) };
  }

  async close(): Promise<void> {
    this.removeSync();
  }

  /** Synchronous, so it also works from a process exit handler. */
  removeSync(): void {
    if (this.closed) return;
    this.closed = true;
    this.unregister();
    for (const ns of this.namespaces.values()) spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', this.bridge]);
  }
}

/** A /24 in 10.213.0.0/16 that no interface on this machine uses yet. */
function pickSubnet(): string {
  const used = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let attempt = 0; attempt < 256; attempt++) {
    const third = (process.pid + attempt * 7 + networkCounter * 13) % 250 + 1;
    const subnet = `10.213.${third}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free /24 left in 10.213.0.0/16 for a netns network');
}
