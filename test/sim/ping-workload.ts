// A small workload for simulator tests: each node pings a random peer on a
// jittered timer; a node that receives a ping writes it to its log, makes it
// durable, and only then answers pong, as a replica acknowledges a write.

import type { SimNetwork } from '../../src/sim/network.js';
import type { NodeSpec, World } from '../../src/sim/world.js';
import { nodeId } from '../../src/ids.js';

export type PingMessage = { readonly type: 'ping'; readonly seq: number } | { readonly type: 'pong'; readonly seq: number };

export interface PingProcess {
  pingsSent: number;
  pingsLogged: number;
  pongsReceived: number;
}

export const describePing = (message: PingMessage): string => `${message.type} ${message.seq}`;

export function pingNode(network: SimNetwork<PingMessage>, peers: readonly string[], intervalMs = { min: 10, max: 50 }): NodeSpec<PingProcess> {
  return {
    async boot(env) {
      const transport = env.transport(network);
      await env.disk.makeDirectory('ping');
      const log = await env.disk.open('ping/log', { create: true });
      const process: PingProcess = { pingsSent: 0, pingsLogged: 0, pongsReceived: 0 };
      const others = peers.filter((peer) => peer !== env.nodeId);
      transport.onReceive((from, message) => {
        if (message.type === 'pong') {
          process.pongsReceived++;
          return;
        }
        void (async () => {
          await log.append(new TextEncoder().encode(`${from} ${message.seq}\n`));
          await log.datasync();
          process.pingsLogged++;
          transport.send(from, { type: 'pong', seq: message.seq });
        })().catch((error: unknown) => env.logger.warn({ error }, 'could not log ping'));
      });
      const tick = (): void => {
        const to = others[env.random.nextInt(0, others.length)]!;
        transport.send(nodeId(to), { type: 'ping', seq: ++process.pingsSent });
        env.logger.debug({ to }, 'ping');
        env.timers.schedule(env.random.nextInt(intervalMs.min, intervalMs.max), tick);
      };
      env.timers.schedule(env.random.nextInt(intervalMs.min, intervalMs.max), tick);
      return process;
    },
  };
}

export function addPingCluster(world: World, names: readonly string[], intervalMs?: { min: number; max: number }): SimNetwork<PingMessage> {
  const network = world.network<PingMessage>('ping', { describe: describePing });
  for (const name of names) world.addNode(name, pingNode(network, names, intervalMs));
  return network;
}
