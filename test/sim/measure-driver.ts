// Measures the simulator's speed; not a test (no timing is asserted anywhere).
// Run after a build: node <build>/test/sim/measure-driver.js [simulatedSeconds]
// Prints events per wall-clock second for pure timer events, and for five
// nodes pinging through disk writes under the default fault schedule.

import { World } from '../../src/sim/world.js';
import { applyFaultSchedule, generateFaultSchedule } from '../../src/sim/fault-schedule.js';
import { addPingCluster } from './ping-workload.js';

const simulatedMs = Number(process.argv[2] ?? 60) * 1_000;
const planets = ['jupiter', 'saturn', 'neptune', 'mercury', 'venus'];

async function measure(label: string, world: World, durationMs: number): Promise<void> {
  const startedMs = performance.now();
  await world.runFor(durationMs);
  const wallSeconds = (performance.now() - startedMs) / 1_000;
  const events = world.driver.eventsExecuted();
  console.log(
    `${label}: ${events} events (${world.driver.settleCount()} waited on promises) in ${wallSeconds.toFixed(2)} s = ${Math.round(events / wallSeconds)} events/s`,
  );
}

const timers = new World({ seed: 1 });
timers.addNode('jupiter', {
  boot(env) {
    const tick = (): void => void env.timers.schedule(1, tick);
    tick();
    return env;
  },
});
await measure('pure timer events', timers, simulatedMs * 10);

for (const traced of [false, true]) {
  const world = new World({ seed: 1, trace: { enabled: traced } });
  addPingCluster(world, planets, { min: 1, max: 10 });
  applyFaultSchedule(world, generateFaultSchedule({ random: world.forkRandom('faults'), nodes: planets, startMs: 0, endMs: simulatedMs }));
  await measure(`5 nodes pinging through disk, faults, trace ${traced ? 'on' : 'off'}`, world, simulatedMs);
}
