// The CI chaos suite against Trellis itself: ten 30-second runs on real
// processes covering every fault kind on 3 and 5 members, each ending in a
// passing verdict, and the planted stale-read bug (a leader that serves
// linearizable reads from its own state) caught as a violation when a
// partition isolates that leader.
import { registerTrellisChaosTests } from './chaos-suite.js';

registerTrellisChaosTests();
