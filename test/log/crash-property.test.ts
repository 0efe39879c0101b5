// The log's central promise, checked against a model under random schedules:
// whatever a power cut, torn write or failed fdatasync does, the log that
// reopens is a prefix of what was appended and holds every acknowledged record.
//
// The model keeps the logical log after every operation issued since the last
// restart (S_0 .. S_k). Operations settle in call order, so the acknowledged
// ones are S_1 .. S_j. The reopened log R must agree with some S_i (j <= i <= k)
// on every index it holds, and reach at least as far as every later state
// keeps of S_i: an acknowledged record may vanish only if an operation issued
// after it (a truncation) could have removed it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WriteAheadLog, type WriteAheadLogOptions } from '../../src/log/write-ahead-log.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { ManualScheduler, drive, settle } from './fixtures.js';

type Action =
  | { kind: 'append'; calls: number; recordsPerCall: number; dataBytes: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'release'; back: number }
  | { kind: 'run'; steps: number }
  | { kind: 'settle' }
  | { kind: 'crash' }
  | { kind: 'restart' }
  | { kind: 'fail-next-sync' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), calls: fc.integer({ min: 1, max: 6 }), recordsPerCall: fc.integer({ min: 1, max: 3 }), dataBytes: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), back: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('run' as const), steps: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fail-next-sync' as const }) },
);

const DIR = 'saturn/wal';
const OPTIONS: WriteAheadLogOptions = { segmentSizeBytes: 400, indexStrideRecords: 2, readChunkBytes: 64, maxBatchRecords: 8 };
/** The same log writing zeros ahead of its end, so records land in preallocated space and segments roll with zero tails. */
const PREALLOCATED: WriteAheadLogOptions = { ...OPTIONS, preallocateBytes: 150 };

interface Model {
  /** states[i][n] is the text of record n + 1 after the i-th operation since the last restart. */
  states: string[][];
  /** settled[i] is true once operation i resolved. */
  settled: boolean[];
}

function acknowledgedUpTo(model: Model): number {
  let j = 0;
  while (j + 1 < model.states.length && model.settled[j + 1]) j++;
  return j;
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

async function checkReopened(wal: WriteAheadLog, scheduler: ManualScheduler, model: Model): Promise<string[]> {
  const first = wal.firstIndex;
  const last = wal.lastIndex;
  assert.equal(wal.durableLastIndex, last, 'a reopened log reports only durable records');
  const held = await drive(scheduler, wal.read(first, 1_000_000, Number.MAX_SAFE_INTEGER));
  assert.equal(held.length, last - first + 1);
  const texts = held.map((record) => new TextDecoder().decode(record.data));
  const j = acknowledgedUpTo(model);
  const k = model.states.length - 1;
  const witnesses: number[] = [];
  for (let i = j; i <= k; i++) {
    const state = model.states[i]!;
    let mustReach = state.length;
    for (let l = j; l <= k; l++) mustReach = Math.min(mustReach, commonPrefix(model.states[l]!, state));
    const agrees = last <= state.length && texts.every((text, n) => state[first - 1 + n] === text);
    if (agrees && last >= mustReach) witnesses.push(i);
  }
  assert.ok(
    witnesses.length > 0,
    `reopened log ${first}..${last} [${texts.join(',')}] matches no allowed state; acknowledged: [${model.states[j]!.join(',')}], latest: [${model.states[k]!.join(',')}]`,
  );
  // The released prefix is gone from the log; keep the model's indices aligned with placeholders.
  return [...Array.from({ length: first - 1 }, (_, n) => model.states[witnesses[0]!]![n]!), ...texts];
}

test('after any crash, the reopened log is a prefix of what was appended holding every acknowledged record', async () => {
  await crashProperty(OPTIONS);
});

test('with space preallocated ahead, after any crash the reopened log is still such a prefix', async () => {
  await crashProperty(PREALLOCATED);
});

async function crashProperty(OPTIONS: WriteAheadLogOptions): Promise<void> {
  const seen = { tornTails: 0, crashesWithAppendsInFlight: 0, failedSyncs: 0 };
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.array(action, { minLength: 1, maxLength: 40 }), async (seed, actions) => {
      const scheduler = new ManualScheduler();
      const disk = new SimDisk({ random: new SeededRandom(seed), schedule: scheduler.schedule, operationLatencyMs: 0.05, datasyncLatencyMs: 1 });
      let wal = await drive(scheduler, WriteAheadLog.open(disk.forProcess(), DIR, OPTIONS));
      let model: Model = { states: [[]], settled: [true] };
      let counter = 0;

      const issue = (promise: Promise<unknown>): void => {
        const op = model.states.length - 1;
        const settled = model.settled;
        promise.then(
          () => (settled[op] = true),
          () => {},
        );
      };
      const reopen = async (): Promise<void> => {
        wal = await drive(scheduler, WriteAheadLog.open(disk.forProcess(), DIR, OPTIONS));
        if (wal.recovery.tornTail !== undefined) seen.tornTails++;
        const recovered = await checkReopened(wal, scheduler, model);
        model = { states: [recovered], settled: [true] };
      };

      for (const step of actions) {
        switch (step.kind) {
          case 'append': {
            if (wal.failure !== undefined) break;
            for (let c = 0; c < step.calls; c++) {
              const texts = Array.from({ length: step.recordsPerCall }, () => `r${counter++}:${'x'.repeat(step.dataBytes)}`);
              const promise = wal.append(texts.map((text) => ({ type: 1, data: new TextEncoder().encode(text) })));
              model.states.push([...model.states.at(-1)!, ...texts]);
              issue(promise);
            }
            break;
          }
          case 'truncate': {
            const afterIndex = Math.max(0, wal.lastIndex - step.back);
            try {
              const promise = wal.truncateAfter(afterIndex);
              model.states.push(model.states.at(-1)!.slice(0, afterIndex));
              issue(promise);
            } catch {
              // Below the low-water mark, or the log has failed: nothing was issued.
            }
            break;
          }
          case 'release': {
            try {
              const promise = wal.releaseBefore(Math.max(1, wal.lastIndex - step.back));
              model.states.push(model.states.at(-1)!);
              issue(promise);
            } catch {
              // The log has failed: nothing was issued.
            }
            break;
          }
          case 'run':
            for (let s = 0; s < step.steps; s++) {
              await settle();
              scheduler.step();
            }
            await settle();
            break;
          case 'settle':
            do await settle();
            while (scheduler.step());
            break;
          case 'crash':
            if (acknowledgedUpTo(model) < model.states.length - 1) seen.crashesWithAppendsInFlight++;
            if (wal.failure !== undefined) seen.failedSyncs++;
            disk.crash();
            disk.clearFaults();
            await reopen();
            break;
          case 'restart': {
            await drive(scheduler, wal.close());
            // After a failed fdatasync the page cache cannot be trusted; only a power cut tells the truth.
            if (wal.failure !== undefined) disk.crash();
            disk.clearFaults();
            await reopen();
            break;
          }
          case 'fail-next-sync':
            disk.injectFault({ kind: 'datasync-error', count: 1, pathPrefix: DIR });
            break;
        }
      }
      disk.crash();
      disk.clearFaults();
      await reopen();
    }),
    // A thousand runs: with preallocated space about one run in a hundred reopens a torn tail, so at 300 runs one time in twenty saw none.
    { numRuns: 1_000 },
  );
  // The property means little unless the runs really tore writes and interrupted work.
  assert.ok(seen.tornTails > 0, 'no run ever reopened a log with a torn tail');
  assert.ok(seen.crashesWithAppendsInFlight > 0, 'no run ever crashed with appends in flight');
  assert.ok(seen.failedSyncs > 0, 'no run ever crashed after a failed fdatasync');
}
