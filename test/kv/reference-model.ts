// A plain, obviously-correct model of etcd's MVCC semantics for the
// model-based tests: it keeps a full copy of the key space for every
// revision and answers every request by looking at the right copy.

export interface ModelKv {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: bigint;
}

export type ModelState = ReadonlyMap<string, ModelKv>;

export type Span = { readonly key: string; readonly end: string | null }; // end null: single key; '\0': to infinity

export interface ModelRange {
  readonly span: Span;
  readonly revision: number;
  readonly limit: number;
  readonly sortOrder: 'none' | 'ascend' | 'descend';
  readonly sortTarget: 'key' | 'version' | 'create' | 'mod' | 'value';
  readonly keysOnly: boolean;
  readonly countOnly: boolean;
  readonly minMod: number;
  readonly maxMod: number;
  readonly minCreate: number;
  readonly maxCreate: number;
}

export type ModelOp =
  | { readonly type: 'range'; readonly range: ModelRange }
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly prevKv: boolean }
  | { readonly type: 'delete'; readonly span: Span; readonly prevKv: boolean };

export interface ModelCompare {
  readonly span: Span;
  readonly target: 'version' | 'create' | 'mod' | 'value';
  readonly result: 'equal' | 'greater' | 'less' | 'not-equal';
  readonly operand: number | string;
}

export type ModelCommand =
  | ModelOp
  | { readonly type: 'txn'; readonly compare: readonly ModelCompare[]; readonly success: readonly ModelOp[]; readonly failure: readonly ModelOp[] }
  | { readonly type: 'compact'; readonly revision: number };

export type Outcome = { readonly error: string } | { readonly value: unknown };

export function inSpan(span: Span, key: string): boolean {
  if (span.end === null) return key === span.key;
  if (span.end === '\0') return key >= span.key;
  return key >= span.key && key < span.end;
}

export class ReferenceModel {
  /** states[r] is the key space at revision r; revision 1 is the empty start. */
  private readonly states: ModelState[] = [new Map(), new Map()];
  private compacted = 0;

  get revision(): number {
    return this.states.length - 1;
  }

  run(command: ModelCommand): Outcome {
    switch (command.type) {
      case 'compact':
        if (command.revision <= this.compacted) return { error: 'compacted' };
        if (command.revision > this.revision) return { error: 'future-revision' };
        this.compacted = command.revision;
        return { value: { revision: this.revision } };
      case 'txn':
        return this.txn(command);
      default: {
        const working = new Map(this.states[this.revision]!);
        const result = this.op(command, working, this.revision);
        if ('error' in result) return result;
        this.commit(working, result.changed);
        return { value: result.value };
      }
    }
  }

  private commit(working: Map<string, ModelKv>, changed: boolean): void {
    if (changed) this.states.push(working);
  }

  private txn(command: Extract<ModelCommand, { type: 'txn' }>): Outcome {
    const current = this.states[this.revision]!;
    const succeeded = command.compare.every((compare) => compareHolds(compare, current));
    const ops = succeeded ? command.success : command.failure;
    // Flat txns: etcd refuses a key put twice, or put inside a delete interval (compared literally).
    for (const list of [command.success, command.failure]) {
      const puts = new Set<string>();
      for (const op of list) {
        if (op.type !== 'put') continue;
        const deleted = list.some((other) => other.type === 'delete' && (other.span.end === null ? other.span.key === op.key : op.key >= other.span.key && op.key < other.span.end));
        if (puts.has(op.key) || deleted) return { error: 'duplicate-key' };
        puts.add(op.key);
      }
    }
    for (const op of ops) {
      if (op.type === 'range' && op.range.revision > this.revision) return { error: 'future-revision' };
      if (op.type === 'range' && op.range.revision > 0 && op.range.revision < this.compacted) return { error: 'compacted' };
    }
    const working = new Map(current);
    let changed = false;
    const responses: unknown[] = [];
    for (const op of ops) {
      const result = this.op(op, working, changed ? this.revision + 1 : this.revision);
      if ('error' in result) throw new Error(`model: txn op failed after checks: ${result.error}`);
      changed ||= result.changed;
      responses.push({ type: op.type === 'delete' ? 'delete-range' : op.type, response: result.value });
    }
    const revision = changed ? this.revision + 1 : this.revision;
    this.commit(working, changed);
    return { value: { revision, succeeded, responses } };
  }

  private op(op: ModelOp, working: Map<string, ModelKv>, viewRevision: number): { error: string } | { value: unknown; changed: boolean } {
    const next = this.revision + 1;
    switch (op.type) {
      case 'range': {
        const rev = op.range.revision <= 0 ? viewRevision : op.range.revision;
        if (op.range.revision > viewRevision) return { error: 'future-revision' };
        if (rev < this.compacted) return { error: 'compacted' };
        const state = rev === viewRevision ? working : this.states[rev]!;
        return { value: rangeOf(op.range, state, viewRevision), changed: false };
      }
      case 'put': {
        const previous = working.get(op.key);
        working.set(op.key, {
          key: op.key,
          value: op.value,
          createRevision: previous?.createRevision ?? next,
          modRevision: next,
          version: (previous?.version ?? 0) + 1,
          lease: 0n,
        });
        return { value: { revision: next, prevKv: op.prevKv && previous !== undefined ? previous : null }, changed: true };
      }
      case 'delete': {
        const doomed = [...working.values()].filter((kv) => inSpan(op.span, kv.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
        for (const kv of doomed) working.delete(kv.key);
        const changed = doomed.length > 0;
        return { value: { revision: changed ? next : viewRevision, deleted: doomed.length, prevKvs: op.prevKv ? doomed : [] }, changed };
      }
    }
  }
}

function compareHolds(compare: ModelCompare, state: ModelState): boolean {
  const kvs = [...state.values()].filter((kv) => inSpan(compare.span, kv.key));
  const check = (kv: ModelKv | null): boolean => {
    let actual: number | string;
    if (compare.target === 'value') actual = kv?.value ?? '';
    else if (compare.target === 'version') actual = kv?.version ?? 0;
    else if (compare.target === 'create') actual = kv?.createRevision ?? 0;
    else actual = kv?.modRevision ?? 0;
    const order = actual < compare.operand ? -1 : actual > compare.operand ? 1 : 0;
    return compare.result === 'equal' ? order === 0 : compare.result === 'not-equal' ? order !== 0 : compare.result === 'greater' ? order > 0 : order < 0;
  };
  if (kvs.length === 0) return compare.target === 'value' ? false : check(null);
  return kvs.every(check);
}

function rangeOf(range: ModelRange, state: ModelState, headerRevision: number): unknown {
  const all = [...state.values()].filter((kv) => inSpan(range.span, kv.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
  if (range.countOnly) return { revision: headerRevision, kvs: [], more: false, count: all.length };
  let kvs = all.filter(
    (kv) =>
      (range.maxMod === 0 || kv.modRevision <= range.maxMod) &&
      (range.minMod === 0 || kv.modRevision >= range.minMod) &&
      (range.maxCreate === 0 || kv.createRevision <= range.maxCreate) &&
      (range.minCreate === 0 || kv.createRevision >= range.minCreate),
  );
  const field = (kv: ModelKv): number | string =>
    range.sortTarget === 'key' ? kv.key : range.sortTarget === 'value' ? kv.value : range.sortTarget === 'version' ? kv.version : range.sortTarget === 'create' ? kv.createRevision : kv.modRevision;
  const order = range.sortOrder === 'none' && range.sortTarget !== 'key' ? 'ascend' : range.sortOrder;
  if (order !== 'none') {
    // Insertion sort: stable, and obviously so.
    const sorted: ModelKv[] = [];
    for (const kv of kvs) {
      let i = sorted.length;
      const before = (a: ModelKv, b: ModelKv): boolean => (order === 'ascend' ? field(a) < field(b) : field(a) > field(b));
      while (i > 0 && before(kv, sorted[i - 1]!)) i--;
      sorted.splice(i, 0, kv);
    }
    kvs = sorted;
  }
  const more = range.limit > 0 && kvs.length > range.limit;
  if (more) kvs = kvs.slice(0, range.limit);
  return { revision: headerRevision, kvs: kvs.map((kv) => (range.keysOnly ? { ...kv, value: '' } : kv)), more, count: all.length };
}
