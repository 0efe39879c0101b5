// The Raft swarm: seeded runs of a simulated cluster under faults, checked
// for Raft's safety properties, durability, liveness and linearizability.

export { runSwarm, defaultSwarmSimulatedMs, type SwarmOptions, type SwarmSummary, type SeedFailure } from './run-swarm.js';
export { runSeed, replayCommand, planetNames, swarmFaultKinds, type SeedOptions, type SeedResult, type SwarmFaultKind } from './run-seed.js';
export { SafetyMonitor, type SafetyViolation, type SafetyProperty } from './safety-monitor.js';
export { RaftCluster, type RaftClusterOptions, type KvRaftNode } from './raft-cluster.js';
