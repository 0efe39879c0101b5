import { InvalidArgumentError } from 'commander';

export function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${text}"`);
  return value;
}

/** "A..B" (inclusive) or a single number. */
export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(`expected a seed range like 1..500, got "${text}"`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) throw new InvalidArgumentError(`expected a seed range A..B with A <= B, got "${text}"`);
  return { first, last };
}
