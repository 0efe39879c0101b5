// Linearizability of an etcd-style MVCC history, checked through revisions.
//
// The store's revision is global, so the history cannot be split per key. But
// a correct store tells us most of the linearization: every completed write
// returned the revision it created, and every completed read returned the
// header revision of the state it saw. So the writes form a chain by revision
// and each read belongs between write h and write h + 1 (h its header). What
// is left to decide is which failed or timed-out writes (outcome unknown, no
// revision) filled the revisions no completed write claims.
//
// 1. Slots: a write at revision r sits in slot 2r, a read at header h in slot
//    2h + 1. Reads sharing a slot can always be ordered by call time, so the
//    history is linearizable iff (a) no operation returned before another
//    with an earlier slot was called, and (b) replaying the chain from the
//    initial store reproduces every output.
// 2. (a) is one sweep over operations sorted by slot.
// 3. (b) walks revisions upwards. At a revision a completed write claims, that
//    write must change the store and return what the specification returns.
//    At a gap, some pending write must fill it: one called before every
//    operation in a later slot returned, and that changes the store there.
//    Gaps are searched depth first with backtracking; pending writes with
//    equal input are tried in call order only, and (revision, pending writes
//    used, store) configurations already refuted are skipped. Reads are
//    replayed against the store at their header revision.
// Before the search, one pass checks that every value a client saw was put
// by the write at its mod revision, or at a gap by some pending write: the
// usual corruption (a value never written) is refuted without any search.
// Pending writes that fill no gap took effect after everything observed, or
// never: either way nothing recorded depends on them.
//
// The memo identifies a store by two independent 32-bit hashes, so two
// different stores are confused with odds of about 2^-64 per comparison.

import { fail as invariantFails } from '../assert.js';
import { Bitset } from './bitset.js';
import { isPending, returnTimeMs, validateOperation, type Operation } from './history.js';
import { defaultMaxSteps, describeOperation, type CheckResult, type Violation } from './linearizability.js';
import { describeValue, hashString } from './model.js';
import { describeStore, mvccModel } from './models/mvcc.js';
import { execute, isReadOnlyRequest, mvccOutputMatches, responseShowsWrite, rollback, type KeyValue, type MvccInput, type MvccOutput, type PutRequest, type Undo } from './models/mvcc-store.js';

type MvccOperation = Operation<MvccInput, MvccOutput>;

export interface MvccCheckOptions {
  /** The most requests to replay; past it the verdict is 'unknown'. */
  readonly maxSteps?: number;
  /** The store before the history began; empty at revision 0 if absent. */
  readonly initial?: { readonly revision: number; readonly kvs: readonly KeyValue[] };
}

const describer = mvccModel();
const describe = (op: MvccOperation): string => describeOperation(describer, op);

export function checkMvccHistory(history: readonly MvccOperation[], options: MvccCheckOptions = {}): CheckResult<MvccInput, MvccOutput> {
  const maxSteps = options.maxSteps ?? defaultMaxSteps;
  const baseRevision = options.initial?.revision ?? 0;
  const keys = new Map((options.initial?.kvs ?? []).map((kv) => [kv.key, kv]));
  const counts = (steps: number, checked: boolean) => ({ steps, partsChecked: checked ? 1 : 0, partsTotal: 1 });
  const violation = (steps: number, v: Violation<MvccInput, MvccOutput>): CheckResult<MvccInput, MvccOutput> => ({
    verdict: 'violation', violation: v, ...counts(steps, true),
  });

  const writeAt = new Map<number, MvccOperation>();
  const readsAt = new Map<number, MvccOperation[]>();
  const pendingWrites: MvccOperation[] = [];
  let topRevision = baseRevision;
  for (const op of history) {
    validateOperation(op);
    if (isPending(op)) {
      if (!isReadOnlyRequest(op.input)) pendingWrites.push(op);
      continue;
    }
    const output = op.output;
    if (output === undefined) throw new RangeError(`completed operation of client ${op.clientId} has no output: record it, or mark it failed with no returnMs`);
    const revision = output.revision;
    if (responseShowsWrite(output)) {
      const other = writeAt.get(revision);
      if (revision <= baseRevision || other !== undefined) {
        const why = other === undefined ? `the history starts at revision ${baseRevision}` : `${describe(other)} claims it too`;
        return violation(0, single(`revision ${revision}`, op, `${describe(op)} wrote revision ${revision}, but ${why}`));
      }
      writeAt.set(revision, op);
    } else {
      if (revision < baseRevision) return violation(0, single(`revision ${revision}`, op, `${describe(op)} read revision ${revision}, before the history's start at ${baseRevision}`));
      let reads = readsAt.get(revision);
      if (reads === undefined) readsAt.set(revision, (reads = []));
      reads.push(op);
    }
    topRevision = Math.max(topRevision, revision);
  }

  // A quick necessary condition before any search: every key-value a client
  // saw was put by the write at its mod revision, or, at a gap, by some
  // pending write. It refutes a read of a never-written value at once, where
  // the search would have to try every way of filling the gaps first.
  const initialKvs = new Set((options.initial?.kvs ?? []).map((kv) => `${kv.key}\u0000${kv.value}\u0000${kv.modRevision}`));
  const pendingPuts = new Set(pendingWrites.flatMap((op) => putsOf(op.input).map((put) => `${put.key}\u0000${put.value}`)));
  for (const op of history) {
    for (const kv of isPending(op) ? [] : observedKvs(op.output!)) {
      if (kv.modRevision <= baseRevision) {
        if (initialKvs.has(`${kv.key}\u0000${kv.value}\u0000${kv.modRevision}`)) continue;
      } else {
        const writer = writeAt.get(kv.modRevision);
        const candidates = writer === undefined ? pendingPuts : new Set(putsOf(writer.input).map((put) => `${put.key}\u0000${put.value}`));
        if (candidates.has(`${kv.key}\u0000${kv.value}`)) continue;
      }
      const who = kv.modRevision <= baseRevision ? 'the initial store' : (writeAt.has(kv.modRevision) ? describe(writeAt.get(kv.modRevision)!) : 'no pending write');
      return violation(0, single(`revision ${kv.modRevision}`, op, `${describe(op)} saw ${kv.key} = ${JSON.stringify(kv.value)} at mod revision ${kv.modRevision}, but ${who} put that there`));
    }
  }

  // (a) Real time against the revision order.
  const slotOf = (op: MvccOperation): number => (writeAt.get(op.output!.revision) === op ? 2 * op.output!.revision : 2 * op.output!.revision + 1);
  const completed = history.filter((op) => !isPending(op)).sort((a, b) => slotOf(a) - slotOf(b));
  let latestCaller: MvccOperation | undefined;
  let latestCallerBefore: MvccOperation | undefined;
  for (let i = 0; i < completed.length; i++) {
    const op = completed[i]!;
    if (i > 0 && slotOf(completed[i - 1]!) !== slotOf(op)) latestCallerBefore = latestCaller;
    if (latestCallerBefore !== undefined && returnTimeMs(op) < latestCallerBefore.callMs) {
      const text = `${describe(op)} returned before ${describe(latestCallerBefore)} was called, yet the revisions they saw or made (${op.output!.revision} and ${latestCallerBefore.output!.revision}) order it after`;
      return violation(0, single(`revision ${op.output!.revision}`, op, text, [latestCallerBefore]));
    }
    if (latestCaller === undefined || op.callMs > latestCaller.callMs) latestCaller = op;
  }
  // The earliest return among operations in slots after 2r, for each revision r: a gap filler must be called by then.
  const earliestReturnAfterGap = new Float64Array(topRevision - baseRevision + 2).fill(Infinity);
  for (const op of completed) {
    const gapIndex = Math.ceil(slotOf(op) / 2) - 1 - baseRevision;
    if (gapIndex >= 0) earliestReturnAfterGap[gapIndex] = Math.min(earliestReturnAfterGap[gapIndex]!, returnTimeMs(op));
  }
  for (let i = earliestReturnAfterGap.length - 2; i >= 0; i--) earliestReturnAfterGap[i] = Math.min(earliestReturnAfterGap[i]!, earliestReturnAfterGap[i + 1]!);

  // (b) Replay, choosing gap fillers depth first.
  pendingWrites.sort((a, b) => a.callMs - b.callMs);
  const lastWithInput = new Map<string, number>();
  const twinBefore = pendingWrites.map((op, i) => {
    const input = describeValue(op.input);
    const twin = lastWithInput.get(input) ?? -1;
    lastWithInput.set(input, i);
    return twin;
  });
  const used = new Bitset(pendingWrites.length);
  const undo: Undo = [];
  const hashes = storeHashes(keys);
  const frames: { revision: number; undoLength: number; hashes: [number, number]; choice: number }[] = [];
  const refuted = new Set<string>();
  let steps = 0;
  let deepest: { revision: number; op?: MvccOperation; text: string; fillers: (number | undefined)[] } | undefined;
  const fail = (revision: number, text: string, op?: MvccOperation): void => {
    if (deepest === undefined || revision > deepest.revision) deepest = { revision, op, text, fillers: frames.map((f) => f.choice) };
  };
  const replay = (op: MvccOperation, revision: number, mustWrite: boolean): boolean => {
    steps++;
    const mark = undo.length;
    const { output, wrote } = execute(keys, revision, op.input, undo);
    if (!mustWrite || !wrote || !mvccOutputMatches(output, op.output)) rollback(keys, undo, mark);
    const ok = wrote === mustWrite && mvccOutputMatches(output, op.output);
    if (!ok) fail(revision + 1, `${describe(op)}: the store at ${describeStore(revision, keys)} answers ${describeValue(output)}`, op);
    else if (wrote) updateHashes(hashes, keys, undo, mark);
    return ok;
  };
  /** The index of the last pending write called at or before the time, or -1. */
  const lastCalledBy = (timeMs: number): number => {
    let low = 0;
    let high = pendingWrites.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (pendingWrites[middle]!.callMs <= timeMs) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  };
  const readsHold = (revision: number): boolean => (readsAt.get(revision) ?? []).every((op) => replay(op, revision, false));

  let revision = baseRevision;
  let advancing = readsHold(revision);
  while (true) {
    if (steps > maxSteps) return { verdict: 'unknown', reason: `step budget of ${maxSteps} spent at revision ${revision}`, uncheckedParts: ['all'], ...counts(steps, false) };
    if (advancing && revision === topRevision) return { verdict: 'ok', ...counts(steps, true) };
    if (advancing) {
      const next = revision + 1;
      const known = writeAt.get(next);
      if (known !== undefined) {
        advancing = replay(known, revision, true) && readsHold(next);
        if (advancing) revision = next;
        continue;
      }
      const memoKey = `${next}:${hashes[0]}:${hashes[1]}:${used.words.join(',')}`;
      if (refuted.has(memoKey)) {
        advancing = false;
        continue;
      }
      refuted.add(memoKey);
      frames.push({ revision: next, undoLength: undo.length, hashes: [hashes[0], hashes[1]], choice: -1 });
    }
    // Try the next filler for the innermost gap, or undo that gap if none is left.
    const frame = frames.at(-1);
    if (frame === undefined) return violation(steps, explain(deepest!));
    rollback(keys, undo, frame.undoLength);
    [hashes[0], hashes[1]] = frame.hashes;
    if (frame.choice >= 0) used.remove(frame.choice);
    revision = frame.revision - 1;
    const deadlineMs = earliestReturnAfterGap[frame.revision - baseRevision]!;
    // Latest call first: a timed-out write usually lands soon after its call,
    // and writes that never took effect pile up ever further behind.
    let choice = frame.choice >= 0 ? frame.choice - 1 : lastCalledBy(deadlineMs);
    for (; choice >= 0; choice--) {
      const op = pendingWrites[choice]!;
      if (used.has(choice) || (twinBefore[choice]! >= 0 && !used.has(twinBefore[choice]!))) continue;
      steps++;
      const mark = undo.length;
      if (execute(keys, revision, op.input, undo).wrote) break;
      rollback(keys, undo, mark);
    }
    if (choice < 0) {
      fail(frame.revision, `no operation in the history wrote revision ${frame.revision}: every pending write was used, called too late or changes nothing there (was a write lost from the record, or a lease expiry not recorded?)`);
      frames.pop();
      advancing = false;
      continue;
    }
    frame.choice = choice;
    used.add(choice);
    updateHashes(hashes, keys, undo, frame.undoLength);
    revision = frame.revision;
    advancing = readsHold(revision);
  }

  function explain(at: NonNullable<typeof deepest>): Violation<MvccInput, MvccOutput> {
    const prefix: MvccOperation[] = (readsAt.get(baseRevision) ?? []).filter((op) => op !== at.op);
    let gap = 0;
    for (let r = baseRevision + 1; r < at.revision; r++) {
      const writer = writeAt.get(r) ?? pendingWrites[at.fillers[gap++] ?? -1];
      if (writer === undefined) invariantFails(`revision ${r} below the deepest point was written`);
      prefix.push(writer, ...(readsAt.get(r) ?? []).filter((op) => op !== at.op));
    }
    const blocking = at.op ?? prefix.at(-1) ?? history[0]!;
    const shown = prefix.slice(-10).map((op) => `    ${describe(op)}`);
    const text = [`history is not linearizable under model mvcc, at revision ${at.revision}:`, `  the ${prefix.length} operation(s) up to revision ${at.revision - 1} replay, the last ones being:`, ...shown, `  then ${at.text}`].join('\n');
    return { partKey: `revision ${at.revision}`, linearizedPrefix: prefix, stateAfterPrefix: `revision ${at.revision - 1}`, unplaced: at.op === undefined ? [] : [at.op], blocking, text };
  }
}

/** Every put a request may make, in either branch of a txn. */
function putsOf(input: MvccInput): PutRequest[] {
  const ops = input.kind === 'txn' ? [...input.success, ...input.failure] : [input];
  return ops.filter((op): op is PutRequest => op.kind === 'put');
}

/** Every key-value a response reports as stored at some revision. */
function observedKvs(output: MvccOutput): KeyValue[] {
  const kvs: KeyValue[] = [];
  for (const response of output.kind === 'txn' ? output.responses : [output]) {
    if (response.kind === 'range') kvs.push(...response.kvs);
    else if (response.kind === 'put' && response.prevKv) kvs.push(response.prevKv);
    else if (response.kind === 'delete-range' && response.prevKvs) kvs.push(...response.prevKvs);
  }
  return kvs;
}

function single(partKey: string, op: MvccOperation, text: string, others: MvccOperation[] = []): Violation<MvccInput, MvccOutput> {
  return { partKey, linearizedPrefix: [], stateAfterPrefix: 'not replayed', unplaced: [op, ...others], blocking: op, text: `history is not linearizable under model mvcc: ${text}` };
}

function storeHashes(keys: ReadonlyMap<string, KeyValue>): [number, number] {
  const hashes: [number, number] = [0, 0];
  for (const kv of keys.values()) {
    hashes[0] ^= entryHash(kv, 0x811c9dc5);
    hashes[1] ^= entryHash(kv, 0x01000193);
  }
  return hashes;
}

/** Folds the changes logged since `mark` into the two XOR hashes of the store. */
function updateHashes(hashes: [number, number], keys: ReadonlyMap<string, KeyValue>, undo: Undo, mark: number): void {
  const firstBefore = new Map<string, KeyValue | undefined>();
  for (let i = mark; i < undo.length; i++) if (!firstBefore.has(undo[i]![0])) firstBefore.set(undo[i]![0], undo[i]![1]);
  for (const [key, before] of firstBefore) {
    const after = keys.get(key);
    for (const [index, seed] of [[0, 0x811c9dc5], [1, 0x01000193]] as const) {
      if (before !== undefined) hashes[index] ^= entryHash(before, seed);
      if (after !== undefined) hashes[index] ^= entryHash(after, seed);
    }
  }
}

function entryHash(kv: KeyValue, seed: number): number {
  return hashString(`${kv.key}\u0000${kv.value}\u0000${kv.createRevision}/${kv.modRevision}/${kv.version}`, seed);
}
