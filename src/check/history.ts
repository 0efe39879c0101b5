// A history is what clients saw: each operation's input, its output if it
// returned, and the interval in which it ran. Times are whatever clock the
// recorder used (simulated or wall), in milliseconds; only their order matters.
//
// An operation that failed or timed out has no returnMs (or Infinity): the
// request may have taken effect at any moment after its call, or never. The
// checker therefore treats it as pending forever.

export interface Operation<Input, Output> {
  /** Who issued it: a client runs its operations one at a time. */
  readonly clientId: string;
  readonly input: Input;
  /** What the client received; absent when the operation did not return. */
  readonly output?: Output;
  readonly callMs: number;
  /** Absent or Infinity: failed or timed out, outcome unknown. */
  readonly returnMs?: number;
}

export type History<Input, Output> = readonly Operation<Input, Output>[];

/** True when the client never learned the outcome. */
export function isPending(operation: Operation<unknown, unknown>): boolean {
  return operation.returnMs === undefined || operation.returnMs === Infinity;
}

/** The return time as the search uses it: pending operations return "never". */
export function returnTimeMs(operation: Operation<unknown, unknown>): number {
  return operation.returnMs ?? Infinity;
}

/**
 * Real-time order: a precedes b only when a returned strictly before b was
 * called. Operations that touch at one instant count as concurrent, which can
 * only make the checker more lenient, never report a false violation.
 */
export function precedes(a: Operation<unknown, unknown>, b: Operation<unknown, unknown>): boolean {
  return returnTimeMs(a) < b.callMs;
}

/** Refuses a record the checkers cannot interpret, saying what is wrong with it. */
export function validateOperation(operation: Operation<unknown, unknown>): void {
  if (!Number.isFinite(operation.callMs)) {
    throw new RangeError(`operation of client ${operation.clientId} has call time ${operation.callMs}: record a finite callMs`);
  }
  if (returnTimeMs(operation) < operation.callMs) {
    throw new RangeError(`operation of client ${operation.clientId} returned at ${operation.returnMs} before its call at ${operation.callMs}`);
  }
}
