// The linearizability checker: Wing & Gong's search with Lowe's just-in-time
// linearization and memoisation of (linearized set, model state) pairs, the
// algorithm Porcupine uses.
//
// Calls and returns sit in one doubly linked list in time order. The search
// walks it from the front: at a call it tries to linearize that operation now
// (step the model, compare outputs) and, if the pair (set of linearized
// operations, new state) was never seen before, removes the operation's call
// and return from the list and starts over from the front. Reaching a return
// means that operation had to take effect before now and did not, so the
// search undoes its last choice. A pending operation returns at Infinity, so
// it may linearize anywhere after its call; linearizing it after everything
// that returned is the same as never taking effect, hence the search stops
// once every operation that returned is placed. See search-memo.ts for how
// the memo keeps pending operations from exploding the search.

import { assert, fail } from '../assert.js';
import { isPending, returnTimeMs, validateOperation, type Operation } from './history.js';
import { describeValue, type HistoryPart, type Model } from './model.js';
import { SearchMemo } from './search-memo.js';

export interface CheckOptions {
  /** The most search steps to spend over all parts; past it the verdict is 'unknown'. */
  readonly maxSteps?: number;
  /** How many operations of the prefix an explanation prints. */
  readonly explainPrefixOperations?: number;
  /** How many unplaced operations an explanation prints. */
  readonly explainUnplacedOperations?: number;
}

export const defaultMaxSteps = 20_000_000;

export interface Violation<Input, Output> {
  /** The part of the history (e.g. the key) that is not linearizable on its own. */
  readonly partKey: string;
  /** The longest sequence the search could linearize, in linearization order. */
  readonly linearizedPrefix: readonly Operation<Input, Output>[];
  readonly stateAfterPrefix: string;
  /** Operations that were callable after the prefix, none of which leads to a linearization. */
  readonly unplaced: readonly Operation<Input, Output>[];
  /** The operation whose return came while it could not be placed. */
  readonly blocking: Operation<Input, Output>;
  /** All of the above as text for a test failure or a simulator report. */
  readonly text: string;
}

interface Counts {
  /** Search steps spent, for tuning maxSteps. */
  readonly steps: number;
  readonly partsChecked: number;
  readonly partsTotal: number;
}

export type CheckResult<Input, Output> =
  | (Counts & { readonly verdict: 'ok' })
  | (Counts & { readonly verdict: 'violation'; readonly violation: Violation<Input, Output> })
  | (Counts & { readonly verdict: 'unknown'; readonly reason: string; readonly uncheckedParts: readonly string[] });

type PartOutcome<Input, Output> =
  | { readonly kind: 'ok'; readonly steps: number }
  | { readonly kind: 'exhausted'; readonly steps: number }
  | { readonly kind: 'violation'; readonly steps: number; readonly violation: Violation<Input, Output> };

/** Checks a whole history: each part of the model's partition alone, smallest first, within one step budget. */
export function checkLinearizability<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  const maxSteps = options.maxSteps ?? defaultMaxSteps;
  if (!(maxSteps > 0)) fail(`maxSteps must be positive, got ${maxSteps}`);
  const parts = [...(model.partition?.(history) ?? [{ key: '', operations: history }])];
  parts.sort((a, b) => a.operations.length - b.operations.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let steps = 0;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const outcome = checkPart(model, part, maxSteps - steps, options);
    steps += outcome.steps;
    const counts = { steps, partsChecked: index + 1, partsTotal: parts.length };
    if (outcome.kind === 'violation') return { verdict: 'violation', violation: outcome.violation, ...counts };
    if (outcome.kind === 'exhausted') {
      return {
        verdict: 'unknown',
        reason: `step budget of ${maxSteps} spent while checking part "${part.key}" (${part.operations.length} operations)`,
        uncheckedParts: parts.slice(index).map((p) => p.key),
        ...counts,
        partsChecked: index,
      };
    }
  }
  return { verdict: 'ok', steps, partsChecked: parts.length, partsTotal: parts.length };
}

/** Checks one part with no further partitioning. */
export function checkPart<State, Input, Output>(
  model: Model<State, Input, Output>,
  part: HistoryPart<Input, Output>,
  stepBudget: number,
  options: CheckOptions = {},
): PartOutcome<Input, Output> {
  for (const operation of part.operations) validateOperation(operation);
  // A pending read cannot be observed by anyone, so it cannot matter.
  const operations = part.operations.filter((op) => !(isPending(op) && model.isReadOnly?.(op.input) === true));
  const first = search(model, operations, stepBudget, -1);
  if (first.kind === 'ok' || first.kind === 'exhausted') return first;
  assert(first.kind === 'stuck', 'a search that records nothing ends ok, exhausted or stuck');
  // The search is deterministic: a second run stops where the first got deepest
  // and records the explanation, so the common, passing run never copies prefixes.
  const replay = search(model, operations, stepBudget, first.deepest);
  assert(replay.kind === 'recorded', 'the replayed search must reach the depth the first run reached');
  return { kind: 'violation', steps: first.steps, violation: explain(model, part.key, replay.record, options) };
}

interface StuckPoint<State, Input, Output> {
  readonly prefix: Operation<Input, Output>[];
  readonly state: State;
  readonly unplaced: Operation<Input, Output>[];
  readonly blocking: Operation<Input, Output>;
}

type SearchOutcome<State, Input, Output> =
  | { readonly kind: 'ok'; readonly steps: number }
  | { readonly kind: 'exhausted'; readonly steps: number }
  | { readonly kind: 'stuck'; readonly steps: number; readonly deepest: number }
  | { readonly kind: 'recorded'; readonly record: StuckPoint<State, Input, Output> };

const nil = -1;

function search<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  stepBudget: number,
  recordAtDepth: number,
): SearchOutcome<State, Input, Output> {
  const count = operations.length;
  // Entry 2k is operation k's call, 2k + 1 its return; `head` is the sentinel.
  const head = 2 * count;
  const next = new Int32Array(2 * count + 1);
  const prev = new Int32Array(2 * count + 1);
  const order = sortedEntries(operations);
  let last = head;
  for (const entry of order) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
  next[last] = nil;

  const pending = operations.map((op) => isPending(op));
  let unplacedCompleted = pending.filter((p) => !p).length;
  const memo = new SearchMemo(model, operations, pending);
  const stack: number[] = [];
  const states: State[] = [];
  let state = model.init();
  let deepest = 0;
  let steps = 0;
  let entry = next[head]!;

  // Dancing links: unlinking keeps each entry's own pointers, so relinking in reverse order restores the list.
  const unlink = (e: number): void => {
    next[prev[e]!] = next[e]!;
    if (next[e] !== nil) prev[next[e]!] = prev[e]!;
  };
  const relink = (e: number): void => {
    next[prev[e]!] = e;
    if (next[e] !== nil) prev[next[e]!] = e;
  };

  while (unplacedCompleted > 0) {
    if (steps >= stepBudget) return { kind: 'exhausted', steps };
    steps++;
    assert(entry !== nil, 'an operation that returned is still unplaced, so its return lies ahead');
    const k = entry >>> 1;
    if ((entry & 1) === 0) {
      const operation = operations[k]!;
      const result = model.step(state, operation.input);
      if (pending[k] ? memo.mayPlace(k) : model.outputMatches(result.output, operation.output)) {
        memo.add(k);
        if (memo.remember(result.state)) {
          stack.push(k);
          states.push(state);
          state = result.state;
          if (!pending[k]) unplacedCompleted--;
          unlink(2 * k);
          unlink(2 * k + 1);
          entry = next[head]!;
          continue;
        }
        memo.remove(k);
      }
      entry = next[entry]!;
      continue;
    }
    // Operation k returned without being linearized: undo the latest choice.
    if (stack.length === recordAtDepth) {
      const unplaced: Operation<Input, Output>[] = [];
      for (let e = next[head]!; e !== entry; e = next[e]!) if ((e & 1) === 0) unplaced.push(operations[e >>> 1]!);
      return { kind: 'recorded', record: { prefix: stack.map((i) => operations[i]!), state, unplaced, blocking: operations[k]! } };
    }
    deepest = Math.max(deepest, stack.length);
    if (stack.length === 0) return { kind: 'stuck', steps, deepest };
    const undone = stack.pop()!;
    state = states.pop()!;
    memo.remove(undone);
    if (!pending[undone]) unplacedCompleted++;
    relink(2 * undone + 1);
    relink(2 * undone);
    entry = next[2 * undone]!;
  }
  return { kind: 'ok', steps };
}

/** Calls and returns in time order; at one instant calls come first, so touching operations are concurrent. */
function sortedEntries(operations: readonly Operation<unknown, unknown>[]): number[] {
  const entries = Array.from({ length: 2 * operations.length }, (_, e) => e);
  const timeOf = (e: number): number => {
    const operation = operations[e >>> 1]!;
    return (e & 1) === 0 ? operation.callMs : returnTimeMs(operation);
  };
  entries.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  return entries;
}

function explain<State, Input, Output>(
  model: Model<State, Input, Output>,
  partKey: string,
  record: StuckPoint<State, Input, Output>,
  options: CheckOptions,
): Violation<Input, Output> {
  const prefixShown = options.explainPrefixOperations ?? 10;
  const unplacedShown = options.explainUnplacedOperations ?? 10;
  const describeState = (s: State): string => model.describeState?.(s) ?? describeValue(s);
  const describe = (op: Operation<Input, Output>): string => describeOperation(model, op);
  const stateAfterPrefix = describeState(record.state);
  const lines = [`history is not linearizable under model ${model.name}${partKey === '' ? '' : `, part "${partKey}"`}:`];
  const skipped = Math.max(0, record.prefix.length - prefixShown);
  lines.push(`  the longest linearizable prefix has ${record.prefix.length} operation(s)${skipped > 0 ? `, the last ${prefixShown} being` : ''}:`);
  for (const op of record.prefix.slice(skipped)) lines.push(`    ${describe(op)}`);
  lines.push(`  leaving state ${stateAfterPrefix}; none of these can come next:`);
  for (const op of record.unplaced.slice(0, unplacedShown)) {
    const expected = model.step(record.state, op.input).output;
    const said = isPending(op) ? 'pending, may take effect or not' : `model would return ${model.describeOutput?.(expected) ?? describeValue(expected)}`;
    lines.push(`    ${describe(op)}   (${said})`);
  }
  if (record.unplaced.length > unplacedShown) lines.push(`    ... and ${record.unplaced.length - unplacedShown} more`);
  lines.push(`  yet ${describe(record.blocking)} returned, so it had to be placed by then.`);
  return { partKey, linearizedPrefix: record.prefix, stateAfterPrefix, unplaced: record.unplaced, blocking: record.blocking, text: lines.join('\n') };
}

export function describeOperation<State, Input, Output>(model: Model<State, Input, Output>, op: Operation<Input, Output>): string {
  const input = model.describeInput?.(op.input) ?? describeValue(op.input);
  const output = isPending(op) ? '?' : (model.describeOutput?.(op.output) ?? describeValue(op.output));
  const returned = isPending(op) ? 'never' : String(op.returnMs);
  return `${op.clientId}: ${input} -> ${output}  [${op.callMs}, ${returned}]`;
}

/** One line for a result, the explanation included when there is one. */
export function formatCheckResult(result: CheckResult<unknown, unknown>): string {
  const counts = `${result.partsChecked}/${result.partsTotal} part(s), ${result.steps} step(s)`;
  switch (result.verdict) {
    case 'ok':
      return `linearizable (${counts})`;
    case 'unknown':
      return `unknown: ${result.reason} (${counts})`;
    case 'violation':
      return `${result.violation.text}\n  (${counts})`;
  }
}
