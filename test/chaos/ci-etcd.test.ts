// The CI chaos suite against etcd 3.4, the reference: it must pass every
// fault (a failure here means the harness or a checker is wrong), and its
// stale-read demonstration must be caught.
import { registerChaosSuite, registerStaleReadTest } from './chaos-suite.js';

registerStaleReadTest('etcd');
registerChaosSuite('etcd');
