// An ordered map from KeyString to V: a B+tree whose nodes are copied on
// write once a snapshot shares them. Each node records the epoch that created
// it; taking a snapshot starts a new epoch, so every existing node becomes
// shared and read-only, and the first later write to a path copies just that
// path. A snapshot is therefore O(1), and writes that follow it pay one path
// copy per touched leaf, as in the persistent trees of Clojure and Okasaki.

import { assert } from '../assert.js';
import type { KeyString } from './key-bytes.js';

const maxLeafKeys = 64;
const maxBranchChildren = 64;
/** Bulk-built leaves are left this full so early inserts do not all split. */
const bulkLeafKeys = 56;

interface Leaf<V> {
  readonly leaf: true;
  readonly epoch: number;
  keys: KeyString[];
  values: V[];
}

interface Branch<V> {
  readonly leaf: false;
  readonly epoch: number;
  /** keys[i] separates children[i] (below) from children[i + 1] (at or above). */
  keys: KeyString[];
  children: Node<V>[];
}

type Node<V> = Leaf<V> | Branch<V>;

/** First index whose key is >= key. */
function lowerBound(keys: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > key: in a branch, the child that may hold key. */
function upperBound(keys: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lookup<V>(root: Node<V>, key: KeyString): V | undefined {
  let node = root;
  while (!node.leaf) node = node.children[upperBound(node.keys, key)]!;
  const i = lowerBound(node.keys, key);
  return node.keys[i] === key ? node.values[i] : undefined;
}

/** Calls visit for keys in [low, high) in order until it returns false; returns false if stopped. */
function scan<V>(node: Node<V>, low: KeyString, high: KeyString | null, visit: (key: KeyString, value: V) => boolean): boolean {
  if (node.leaf) {
    for (let i = lowerBound(node.keys, low); i < node.keys.length; i++) {
      const key = node.keys[i]!;
      if (high !== null && key >= high) return false;
      if (!visit(key, node.values[i]!)) return false;
    }
    return true;
  }
  const first = upperBound(node.keys, low);
  for (let i = first; i < node.children.length; i++) {
    if (i > first && high !== null && node.keys[i - 1]! >= high) return false;
    if (!scan(node.children[i]!, low, high, visit)) return false;
  }
  return true;
}

/** A read-only ordered view; the live tree and its snapshots both offer it. */
export interface OrderedView<V> {
  readonly size: number;
  get(key: KeyString): V | undefined;
  /** Visits keys in [low, high) ascending (high null: no upper bound) until visit returns false. */
  forEachInRange(low: KeyString, high: KeyString | null, visit: (key: KeyString, value: V) => boolean): void;
  /** Ascending entries from `low`, pulled one at a time (for incremental serialisation). */
  entries(low?: KeyString): Generator<[KeyString, V]>;
}

/** Ascending iteration with an explicit stack: no generator per tree level. */
function* walk<V>(root: Node<V>, low: KeyString): Generator<[KeyString, V]> {
  const nodes: Branch<V>[] = [];
  const next: number[] = [];
  let node = root;
  while (!node.leaf) {
    const i = upperBound(node.keys, low);
    nodes.push(node);
    next.push(i + 1);
    node = node.children[i]!;
  }
  let leaf: Leaf<V> | null = node;
  let i = lowerBound(leaf.keys, low);
  while (leaf !== null) {
    for (; i < leaf.keys.length; i++) yield [leaf.keys[i]!, leaf.values[i]!];
    leaf = null;
    i = 0;
    // Climb to the nearest branch with an unvisited child, then descend leftmost.
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const branch = nodes[top]!;
      const child = next[top]!;
      if (child >= branch.children.length) {
        nodes.pop();
        next.pop();
        continue;
      }
      next[top] = child + 1;
      let down = branch.children[child]!;
      while (!down.leaf) {
        nodes.push(down);
        next.push(1);
        down = down.children[0]!;
      }
      leaf = down;
      break;
    }
  }
}

class FrozenView<V> implements OrderedView<V> {
  constructor(
    private readonly root: Node<V>,
    readonly size: number,
  ) {}
  get(key: KeyString): V | undefined {
    return lookup(this.root, key);
  }
  forEachInRange(low: KeyString, high: KeyString | null, visit: (key: KeyString, value: V) => boolean): void {
    scan(this.root, low, high, visit);
  }
  entries(low: KeyString = ''): Generator<[KeyString, V]> {
    return walk(this.root, low);
  }
}

export class CowBTree<V> implements OrderedView<V> {
  private root: Node<V>;
  private epoch = 1;
  private count = 0;

  constructor() {
    this.root = { leaf: true, epoch: this.epoch, keys: [], values: [] };
  }

  /** Builds a tree from entries in strictly ascending key order, in O(n). */
  static fromSorted<V>(entries: Iterable<readonly [KeyString, V]>): CowBTree<V> {
    const builder = CowBTree.builder<V>();
    for (const [key, value] of entries) builder.add(key, value);
    return builder.build();
  }

  /** Takes keys in strictly ascending order and builds the tree in O(n), with no iterator or tuple per entry. */
  static builder<V>(): SortedTreeBuilder<V> {
    return new SortedTreeBuilder<V>((root, count) => {
      const tree = new CowBTree<V>();
      tree.root = root;
      tree.count = count;
      return tree;
    });
  }

  get size(): number {
    return this.count;
  }

  /** An O(1) frozen view of the tree as it is now; later writes copy what they touch. */
  freeze(): OrderedView<V> {
    const view = new FrozenView(this.root, this.count);
    this.epoch++;
    return view;
  }

  get(key: KeyString): V | undefined {
    return lookup(this.root, key);
  }

  forEachInRange(low: KeyString, high: KeyString | null, visit: (key: KeyString, value: V) => boolean): void {
    scan(this.root, low, high, visit);
  }

  entries(low: KeyString = ''): Generator<[KeyString, V]> {
    return walk(this.root, low);
  }

  set(key: KeyString, value: V): void {
    this.root = this.own(this.root);
    const split = this.insert(this.root, key, value);
    if (split !== null) {
      this.root = { leaf: false, epoch: this.epoch, keys: [split.separator], children: [this.root, split.right] };
    }
  }

  delete(key: KeyString): boolean {
    if (lookup(this.root, key) === undefined) return false;
    this.root = this.own(this.root);
    this.remove(this.root, key);
    this.count--;
    while (!this.root.leaf && this.root.children.length === 1) this.root = this.root.children[0]!;
    if (!this.root.leaf && this.root.children.length === 0) this.root = { leaf: true, epoch: this.epoch, keys: [], values: [] };
    return true;
  }

  private own<N extends Node<V>>(node: N): N {
    if (node.epoch === this.epoch) return node;
    if (node.leaf) return { leaf: true, epoch: this.epoch, keys: node.keys.slice(), values: node.values.slice() } as Node<V> as N;
    return { leaf: false, epoch: this.epoch, keys: node.keys.slice(), children: node.children.slice() } as Node<V> as N;
  }

  private insert(node: Node<V>, key: KeyString, value: V): { separator: KeyString; right: Node<V> } | null {
    if (node.leaf) {
      const i = lowerBound(node.keys, key);
      if (node.keys[i] === key) {
        node.values[i] = value;
        return null;
      }
      node.keys.splice(i, 0, key);
      node.values.splice(i, 0, value);
      this.count++;
      if (node.keys.length <= maxLeafKeys) return null;
      // Keys arriving in ascending order (the common case for etcd registries)
      // would leave every leaf half empty after a middle split; keep the left full.
      const middle = i === node.keys.length - 1 ? i : node.keys.length >>> 1;
      const right: Leaf<V> = { leaf: true, epoch: this.epoch, keys: node.keys.splice(middle), values: node.values.splice(middle) };
      return { separator: right.keys[0]!, right };
    }
    const i = upperBound(node.keys, key);
    const child = this.own(node.children[i]!);
    node.children[i] = child;
    const split = this.insert(child, key, value);
    if (split === null) return null;
    node.keys.splice(i, 0, split.separator);
    node.children.splice(i + 1, 0, split.right);
    if (node.children.length <= maxBranchChildren) return null;
    const middle = i + 1 === node.children.length - 1 ? i + 1 : node.children.length >>> 1;
    const rightChildren = node.children.splice(middle);
    const rightKeys = node.keys.splice(middle);
    const separator = node.keys.pop()!;
    assert(rightKeys.length === rightChildren.length - 1, 'branch split keeps one separator fewer than children');
    return { separator, right: { leaf: false, epoch: this.epoch, keys: rightKeys, children: rightChildren } };
  }

  /** Removes key (known present) below an owned node; empty nodes are unlinked by their parent. */
  private remove(node: Node<V>, key: KeyString): void {
    if (node.leaf) {
      const i = lowerBound(node.keys, key);
      assert(node.keys[i] === key, 'remove: key must be present');
      node.keys.splice(i, 1);
      node.values.splice(i, 1);
      return;
    }
    const i = upperBound(node.keys, key);
    const child = this.own(node.children[i]!);
    node.children[i] = child;
    this.remove(child, key);
    if (child.leaf ? child.keys.length > 0 : child.children.length > 0) return;
    node.children.splice(i, 1);
    // Separators are bounds, not stored keys, so dropping the one beside the
    // removed child keeps every remaining child's bounds correct.
    if (node.keys.length > 0) node.keys.splice(i === 0 ? 0 : i - 1, 1);
  }
}

/**
 * Bulk loading for snapshot restore: a million keys arrive in order, and the
 * builder allocates only what the tree keeps (leaves filled to bulkLeafKeys,
 * then branches over them), no iterator result or tuple per key.
 */
export class SortedTreeBuilder<V> {
  constructor(private readonly make: (root: Node<V>, count: number) => CowBTree<V>) {}

  private readonly leaves: Node<V>[] = [];
  private leaf: Leaf<V> = { leaf: true, epoch: 1, keys: [], values: [] };
  private previous: KeyString | null = null;
  private count = 0;

  add(key: KeyString, value: V): void {
    if (this.previous !== null && !(this.previous < key)) throw new RangeError('fromSorted: keys must be strictly ascending');
    this.previous = key;
    if (this.leaf.keys.length === bulkLeafKeys) {
      this.leaves.push(this.leaf);
      this.leaf = { leaf: true, epoch: 1, keys: [], values: [] };
    }
    this.leaf.keys.push(key);
    this.leaf.values.push(value);
    this.count++;
  }

  build(): CowBTree<V> {
    let level: Node<V>[] = [...this.leaves, this.leaf];
    while (level.length > 1) {
      const parents: Node<V>[] = [];
      for (let i = 0; i < level.length; i += bulkLeafKeys) {
        const children = level.slice(i, i + bulkLeafKeys);
        parents.push({ leaf: false, epoch: 1, keys: children.slice(1).map(firstKey), children });
      }
      level = parents;
    }
    return this.make(level[0]!, this.count);
  }
}

function firstKey<V>(node: Node<V>): KeyString {
  let current = node;
  while (!current.leaf) current = current.children[0]!;
  return current.keys[0]!;
}
