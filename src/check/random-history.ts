// Histories that are linearizable by construction, for property tests and
// benchmarks of the checkers: clients call operations at random moments, each
// operation takes effect on a real sequential model at one instant inside its
// interval, and some time out so the client never learns the result (some of
// those took effect, possibly after their client moved on, some never did).

import { assert } from '../assert.js';
import type { Random } from '../runtime/random.js';
import type { Operation } from './history.js';
import type { Model } from './model.js';

export interface RandomHistoryOptions<Input> {
  readonly clients: number;
  readonly operations: number;
  /** Chooses the next operation of a client. */
  readonly nextInput: (random: Random) => Input;
  /** Chance that an operation times out: its client sees no output and no return. */
  readonly timeoutProbability?: number;
  /** Chance that a timed-out operation never takes effect at all. */
  readonly lostProbability?: number;
}

type Phase = 'idle' | 'called' | 'applied';

/** Runs `operations` operations against the model; returns them in call order. */
export function randomLinearizableHistory<State, Input, Output>(
  model: Model<State, Input, Output>,
  random: Random,
  options: RandomHistoryOptions<Input>,
): Operation<Input, Output>[] {
  assert(options.clients > 0, 'a history needs at least one client');
  const timeoutProbability = options.timeoutProbability ?? 0;
  const lostProbability = options.lostProbability ?? 0;
  const phases: Phase[] = Array.from({ length: options.clients }, () => 'idle');
  const current: { input: Input; callMs: number; output?: Output; timesOut: boolean }[] = [];
  const history: Operation<Input, Output>[] = [];
  let state = model.init();
  // Timed-out requests still in flight somewhere: each takes effect later, or is lost.
  const limbo: Input[] = [];
  let started = 0;
  let finished = 0;
  for (let nowMs = 1; finished < options.operations; nowMs++) {
    if (limbo.length > 0 && random.chance(0.1)) {
      const input = limbo.splice(random.nextInt(0, limbo.length), 1)[0]!;
      if (!random.chance(lostProbability)) state = model.step(state, input).state;
      continue;
    }
    const client = random.nextInt(0, options.clients);
    const clientId = `client-${client}`;
    switch (phases[client]!) {
      case 'idle':
        if (started === options.operations) break;
        started++;
        current[client] = { input: options.nextInput(random), callMs: nowMs, timesOut: random.chance(timeoutProbability) };
        phases[client] = 'called';
        break;
      case 'called': {
        const operation = current[client]!;
        if (operation.timesOut) {
          limbo.push(operation.input);
        } else {
          const result = model.step(state, operation.input);
          state = result.state;
          operation.output = result.output;
        }
        phases[client] = 'applied';
        break;
      }
      case 'applied': {
        const operation = current[client]!;
        history.push(
          operation.timesOut
            ? { clientId, input: operation.input, callMs: operation.callMs }
            : { clientId, input: operation.input, output: operation.output!, callMs: operation.callMs, returnMs: nowMs },
        );
        phases[client] = 'idle';
        finished++;
        break;
      }
    }
  }
  history.sort((a, b) => a.callMs - b.callMs);
  return history;
}
