// Assertions in the TigerBeetle sense: statements of what must be true.
// A failed assertion is a bug in Trellis, never a user error, so it throws an
// AssertionError that the simulator reports as a failing seed.

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new InvariantViolation(`${message}: ${String(value)}`);
}
