// A node that only sends what a test tells it to and remembers what arrived
// and when, so network tests can assert exact arrival times and orders.

import type { NodeId } from '../../src/ids.js';
import type { Transport } from '../../src/runtime/transport.js';
import type { SimNetwork } from '../../src/sim/network.js';
import type { SimNodeEnvironment, World } from '../../src/sim/world.js';

export interface Arrival<M> {
  readonly from: NodeId;
  readonly message: M;
  readonly atMs: number;
}

export interface Recorder<M> {
  readonly env: SimNodeEnvironment;
  readonly transport: Transport<M>;
  readonly received: Arrival<M>[];
}

export function addRecorders<M>(world: World, network: SimNetwork<M>, names: readonly string[]): void {
  for (const name of names) {
    world.addNode(name, {
      boot(env): Recorder<M> {
        const transport = env.transport(network);
        const received: Arrival<M>[] = [];
        transport.onReceive((from, message) => received.push({ from, message, atMs: world.nowMs() }));
        return { env, transport, received };
      },
    });
  }
}

export function recorder<M>(world: World, name: string): Recorder<M> {
  const process = world.process<Recorder<M>>(name);
  if (process === undefined) throw new Error(`${name} is not running`);
  return process;
}

/** Sends from one recorder to another, as that node's process would. */
export function send<M>(world: World, from: string, to: string, message: M): void {
  recorder<M>(world, from).transport.send(to as NodeId, message);
}

export function received<M>(world: World, name: string): M[] {
  return recorder<M>(world, name).received.map((arrival) => arrival.message);
}
