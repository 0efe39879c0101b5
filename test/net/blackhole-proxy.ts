// A userspace TCP proxy that can blackhole a link the way a partition does:
// it stops forwarding in both directions without closing anything, so
// neither end learns of the fault from the network. A connection caught in
// the blackhole stays stalled after heal, standing in for TCP, whose
// retransmission timer has by then backed off to seconds; only connections
// opened after heal flow. So when traffic flows again soon after heal, it is
// the channel's own heartbeat and redial that made it so, not TCP.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { PeerAddress } from '../../src/net/network.js';

interface Link {
  readonly client: Socket;
  upstream: Socket | null;
  stalled: boolean;
}

export class BlackholeProxy {
  private readonly links = new Set<Link>();
  private blackholed = false;
  accepted = 0;

  private constructor(private readonly server: Server, readonly address: PeerAddress, private readonly target: PeerAddress) {}

  static async start(target: PeerAddress): Promise<BlackholeProxy> {
    let proxy: BlackholeProxy | null = null;
    const server = createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null) throw new Error('proxy did not bind');
    proxy = new BlackholeProxy(server, { host: '127.0.0.1', port: bound.port }, target);
    return proxy;
  }

  /** Stops forwarding on every link, open or opened from now on, without closing them. */
  blackhole(): void {
    this.blackholed = true;
    for (const link of this.links) this.stall(link);
  }

  /** New connections flow again; those caught in the blackhole stay stalled. */
  heal(): void {
    this.blackholed = false;
  }

  close(): void {
    this.server.close();
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.links.clear();
  }

  private accept(client: Socket): void {
    this.accepted++;
    const link: Link = { client, upstream: null, stalled: false };
    this.links.add(link);
    client.on('error', () => {});
    if (this.blackholed) return this.stall(link);
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    link.upstream = upstream;
    upstream.on('error', () => {});
    client.on('data', (chunk) => { if (!link.stalled) upstream.write(chunk); });
    upstream.on('data', (chunk) => { if (!link.stalled) client.write(chunk); });
    const endBoth = () => {
      if (link.stalled) return;
      client.destroy();
      upstream.destroy();
      this.links.delete(link);
    };
    client.on('close', endBoth);
    upstream.on('close', endBoth);
  }

  private stall(link: Link): void {
    link.stalled = true;
    // Not reading leaves the bytes (and any FIN) unseen, as lost packets would be.
    link.client.pause();
    link.upstream?.pause();
  }
}
