// A Logger that writes into the simulation's trace, so what a node logged sits
// between the messages and timers that caused it, and replays with them.

import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import type { Trace } from './trace.js';

export function traceLogger(trace: Trace, who: string, nowMs: () => number): Logger {
  if (!trace.enabled) return silentLogger;
  const write = (level: string) => (fields: Record<string, unknown>, message: string): void => {
    trace.record(nowMs(), who, level, fields === undefined || Object.keys(fields).length === 0 ? message : `${message} ${formatFields(fields)}`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** key=value pairs in insertion order; bigints and nested values rendered plainly, never via Date or locale. */
function formatFields(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${formatValue(value)}`);
  return parts.join(' ');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner));
    } catch {
      return '[unserializable]';
    }
  }
  return String(value);
}
