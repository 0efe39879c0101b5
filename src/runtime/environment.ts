import type { NodeId } from '../ids.js';
import type { Clock } from './clock.js';
import type { Disk } from './disk.js';
import type { Random } from './random.js';
import type { Timers } from './timers.js';

/**
 * Everything a node may use from the outside world. A node is built from one
 * of these: the real runtime builds it from the system, the simulator builds
 * one per simulated node. Transports are made per protocol from the node's
 * id, so they are created beside this rather than inside it.
 */
export interface NodeEnvironment {
  readonly nodeId: NodeId;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly disk: Disk;
}
