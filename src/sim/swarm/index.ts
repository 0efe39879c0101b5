// The swarm: seeded runs of a simulated cluster under faults, checked for
// Raft's safety properties, durability, liveness and linearizability; the
// Raft swarm replicates registers, the kv swarm the consistent core's store.

export { runSwarm, defaultSwarmSimulatedMs, type SwarmOptions, type SwarmSummary, type SeedFailure } from './run-swarm.js';
export {
  runSeed, replayCommand, planetNames, swarmFaultKinds, swarmStores, type KvSeedFigures, type SeedOptions, type SeedResult, type SwarmFaultKind, type SwarmStore,
} from './run-seed.js';
export { runCoreSeed } from './core-run-seed.js';
export { CoreCluster, type CoreClusterOptions } from './core-cluster.js';
export { SafetyMonitor, type SafetyViolation, type SafetyProperty } from './safety-monitor.js';
export { RaftCluster, type RaftClusterOptions, type KvRaftNode } from './raft-cluster.js';
