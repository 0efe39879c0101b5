// The linearizability and watch-guarantee checkers, for the simulator swarm
// and the real-process fault tests.

export { isPending, precedes, returnTimeMs, type History, type Operation } from './history.js';
export { describeValue, hashString, partitionBy, type HistoryPart, type Model } from './model.js';
export {
  checkLinearizability,
  checkPart,
  defaultMaxSteps,
  describeOperation,
  formatCheckResult,
  type CheckOptions,
  type CheckResult,
  type Violation,
} from './linearizability.js';
export { registerModel, type RegisterInput, type RegisterOutput, type RegisterState } from './models/register.js';
export { kvRegistersModel, type KvInput, type KvOutput, type KvState } from './models/kv-registers.js';
export { randomLinearizableHistory, type RandomHistoryOptions } from './random-history.js';
export { mvccModel, type MvccState } from './models/mvcc.js';
export {
  prefixRangeEnd,
  type Compare,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type KeyValue,
  type MvccInput,
  type MvccOutput,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from './models/mvcc-store.js';
export { checkMvccHistory, type MvccCheckOptions } from './mvcc-checker.js';
export {
  checkWatches,
  type CommittedEvent,
  type CommittedRevision,
  type WatchCheckOptions,
  type WatchCheckResult,
  type WatchEvent,
  type WatcherRecord,
  type WatchSpec,
  type WatchViolation,
  type WatchViolationKind,
} from './watch-checker.js';
