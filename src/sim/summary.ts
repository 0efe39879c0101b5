// The state of a simulated world in a few lines of text: what a developer
// reads first when a seed fails, before the trace.

import type { World } from './world.js';

export function summarizeWorld(world: World): string[] {
  const lines = [`seed ${world.seed} at ${world.nowMs().toFixed(3)}ms after ${world.driver.eventsExecuted()} events`];
  const ids = world.nodeIds();
  for (const id of ids) {
    const node = world.node(id)!;
    const clock = node.clock;
    // How far the wall clock has been set or stepped away from the machine's monotonic time.
    const wallSkewMs = clock.wallNowMs() - world.epochMs() - clock.monotonicNowMs();
    lines.push(
      `${id}: ${node.status}, incarnation ${node.incarnation}, ${node.deferredCount()} waiting, ` +
        `clock drift ${clock.driftPpm()}ppm wall-monotonic ${wallSkewMs.toFixed(3)}ms` +
        (world.isDiskStalled(id) ? ', disk stalled' : ''),
    );
  }
  for (const network of world.networkList()) {
    const { sent, delivered, duplicated } = network.stats;
    const dropped = Object.entries(network.stats.dropped).filter(([, count]) => count > 0);
    lines.push(
      `network ${network.name}: ${sent} sent, ${delivered} delivered, ${duplicated} duplicated, ` +
        `dropped {${dropped.map(([reason, count]) => `${reason}: ${count}`).join(', ')}}`,
    );
  }
  const cut: string[] = [];
  for (const from of ids) {
    for (const to of ids) if (from !== to && !world.isReachable(from, to)) cut.push(`${from}->${to}`);
  }
  lines.push(`unreachable: ${cut.length === 0 ? 'none' : cut.join(' ')}`);
  return lines;
}
