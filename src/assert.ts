// Assertions in the TigerBeetle sense: statements of what must be true.
// A failed assertion is a bug in Trellis, never a user error, so it throws an
// AssertionError that the simulator reports as a failing seed.

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

/**
 * A failed assertion whose message names values. Written
 *   if (!(commitIndex <= lastIndex)) fail(`commit ${commitIndex} beyond ${lastIndex}`);
 * the message is built only when the check fails; assert(condition, `...`)
 * would build it (numbers turned into text, strings joined) on every call,
 * and on the paths every request takes that was work for nothing. The lint
 * rule in eslint.config.js keeps it so.
 */
export function fail(message: string): never {
  throw new InvariantViolation(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new InvariantViolation(`${message}: ${String(value)}`);
}
