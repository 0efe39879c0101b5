// What one incarnation of a simulated node is given at boot: the runtime
// interfaces, every one of them bound to that incarnation, so nothing the
// process starts can outlive its crash.

import { fail } from '../assert.js';
import type { NodeEnvironment } from '../runtime/environment.js';
import type { Logger } from '../runtime/logger.js';
import type { Transport } from '../runtime/transport.js';
import type { SimDriver } from './driver.js';
import type { SimNetwork } from './network.js';
import { traceLogger } from './sim-logger.js';
import type { SimNode } from './sim-node.js';
import { SimTimers } from './sim-timers.js';
import type { Trace } from './trace.js';

/** The runtime interfaces plus the node's logger and a way to open transports. */
export interface SimNodeEnvironment extends NodeEnvironment {
  /** 1 for the first boot, 2 after the first restart, and so on. */
  readonly incarnation: number;
  readonly logger: Logger;
  /** Opens this incarnation's transport on a network; it closes when the node crashes. */
  transport<M>(network: SimNetwork<M>): Transport<M>;
}

export function createSimEnvironment(node: SimNode, incarnation: number, driver: SimDriver, trace: Trace): SimNodeEnvironment {
  if (!node.isAlive(incarnation)) fail(`node ${node.id} incarnation ${incarnation} is not running`);
  return {
    nodeId: node.id,
    incarnation,
    clock: node.clock,
    timers: new SimTimers(
      node.clock,
      (delayMs, action) => node.scheduleGuarded(delayMs, action),
      // Marks each firing in the trace, so a reader sees why the node acted.
      trace.enabled ? (timerId) => trace.record(driver.nowMs(), node.id, 'timer', `#${timerId}`) : undefined,
    ),
    // Forked per boot, so one life's draws never shift the next life's.
    random: node.machineRandom.fork(),
    disk: node.disk,
    logger: traceLogger(trace, node.id, () => driver.nowMs()),
    transport<M>(network: SimNetwork<M>): Transport<M> {
      if (!node.isAlive(incarnation)) fail(`node ${node.id} incarnation ${incarnation} is over: it cannot open transports`);
      return network.transportFor(node);
    },
  };
}
