// A small key-value state machine for testing the Raft node: string keys,
// string values, put/get/delete/compare-and-set. Each key is a register, so a
// history of these operations can be checked key by key. The MVCC etcd store
// replaces it later behind the same StateMachine interface.

import type { Entry } from '../consensus/types.js';
import type { StateMachine } from './state-machine.js';

/** `id` names the client request; the machine ignores it, but it makes each command's entry unique and traceable. */
export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string; readonly id?: string }
  | { readonly op: 'get'; readonly key: string; readonly id?: string }
  | { readonly op: 'delete'; readonly key: string; readonly id?: string }
  /** Sets `value` only if the key currently holds `expected` (null: the key is absent). */
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string; readonly id?: string };

export type KvResult =
  | { readonly op: 'put'; readonly previous: string | null }
  | { readonly op: 'get'; readonly value: string | null }
  | { readonly op: 'delete'; readonly existed: boolean }
  | { readonly op: 'cas'; readonly succeeded: boolean; readonly previous: string | null }
  | { readonly op: 'invalid'; readonly detail: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeKvCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeKvCommand(data: Uint8Array): KvCommand | null {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(data));
    return isKvCommand(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export class KvRegisterMachine implements StateMachine<KvResult> {
  private readonly values = new Map<string, string>();

  apply(entry: Entry): KvResult {
    const command = decodeKvCommand(entry.data);
    if (command === null) return { op: 'invalid', detail: `entry ${entry.index} is not a key-value command` };
    return this.execute(command);
  }

  /** The value a key holds now; only the node decides whether "now" is linearizable. */
  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  get size(): number {
    return this.values.size;
  }

  entries(): [string, string][] {
    return [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify(this.entries()));
  }

  restore(data: Uint8Array): void {
    const pairs = JSON.parse(decoder.decode(data)) as [string, string][];
    this.values.clear();
    for (const [key, value] of pairs) this.values.set(key, value);
  }

  private execute(command: KvCommand): KvResult {
    switch (command.op) {
      case 'put': {
        const previous = this.get(command.key);
        this.values.set(command.key, command.value);
        return { op: 'put', previous };
      }
      case 'get':
        return { op: 'get', value: this.get(command.key) };
      case 'delete':
        return { op: 'delete', existed: this.values.delete(command.key) };
      case 'cas': {
        const previous = this.get(command.key);
        if (previous !== command.expected) return { op: 'cas', succeeded: false, previous };
        this.values.set(command.key, command.value);
        return { op: 'cas', succeeded: true, previous };
      }
    }
  }
}

function isKvCommand(value: unknown): value is KvCommand {
  if (typeof value !== 'object' || value === null) return false;
  const command = value as Record<string, unknown>;
  if (typeof command['key'] !== 'string') return false;
  if (command['id'] !== undefined && typeof command['id'] !== 'string') return false;
  switch (command['op']) {
    case 'put':
      return typeof command['value'] === 'string';
    case 'get':
    case 'delete':
      return true;
    case 'cas':
      return typeof command['value'] === 'string' && (command['expected'] === null || typeof command['expected'] === 'string');
    default:
      return false;
  }
}
