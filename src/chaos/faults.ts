// The fault kinds, the groups the command line accepts, which kinds a system
// can take, and the seeded plan of episodes. One episode at a time: inject,
// hold, heal, wait until the cluster takes writes again, pause, next.

import { SeededRandom } from '../runtime/random.js';
import type { SystemSpec } from './system-spec.js';

export const proxyPartitionKinds = ['partition-halves', 'partition-leader', 'partition-asymmetric', 'partition-ring', 'link-delay', 'link-drop', 'link-blackhole'] as const;
export const netnsPartitionKinds = ['netns-halves', 'netns-leader', 'netns-asymmetric', 'netns-ring'] as const;

export const faultKinds = [
  'kill-leader', 'kill-random', 'kill-majority',
  'pause-leader', 'pause-random',
  ...proxyPartitionKinds,
  ...netnsPartitionKinds,
  'clock-skew', 'clock-jump',
  'fsync-error', 'disk-full',
  'replace-member',
] as const;

export type FaultKind = (typeof faultKinds)[number];

export const faultGroups: Readonly<Record<string, readonly FaultKind[]>> = {
  kill: ['kill-leader', 'kill-random', 'kill-majority'],
  pause: ['pause-leader', 'pause-random'],
  partition: proxyPartitionKinds,
  netns: netnsPartitionKinds,
  clock: ['clock-skew', 'clock-jump'],
  disk: ['fsync-error', 'disk-full'],
  replace: ['replace-member'],
};

export type NetworkKind = 'proxy' | 'netns';

/** Expands names and groups ("kill,partition,disk-full") into kinds, refusing unknown names. */
export function parseFaultKinds(text: string): FaultKind[] {
  const kinds = new Set<FaultKind>();
  for (const name of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (name === 'all') {
      for (const group of ['kill', 'pause', 'partition', 'clock', 'disk', 'replace']) for (const kind of faultGroups[group]!) kinds.add(kind);
    } else if (faultGroups[name] !== undefined) {
      for (const kind of faultGroups[name]!) kinds.add(kind);
    } else if ((faultKinds as readonly string[]).includes(name)) {
      kinds.add(name as FaultKind);
    } else {
      throw new RangeError(`unknown fault "${name}": use kinds (${faultKinds.join(', ')}) or groups (${['all', ...Object.keys(faultGroups)].join(', ')})`);
    }
  }
  if (kinds.size === 0) throw new RangeError('no faults given: name at least one kind or group');
  return [...kinds];
}

/** The network the kinds need; proxy and netns partitions cannot share a run. */
export function networkFor(kinds: readonly FaultKind[]): NetworkKind {
  const netns = kinds.some((k) => (netnsPartitionKinds as readonly string[]).includes(k));
  const proxy = kinds.some((k) => (proxyPartitionKinds as readonly string[]).includes(k));
  if (netns && proxy) throw new RangeError('netns-* and proxy partition kinds need different networks: give them in separate runs');
  return netns ? 'netns' : 'proxy';
}

/** Why the system cannot take this fault, or undefined when it can. */
export function notApplicableReason(kind: FaultKind, system: SystemSpec): string | undefined {
  if ((kind === 'clock-skew' || kind === 'clock-jump') && system.runtime === 'go') {
    return `${system.name} is a Go program: it reads the clock through the vDSO, not libc, so libfaketime cannot move its clock (checked: etcd's log timestamps ignore FAKETIME)`;
  }
  if (kind === 'fsync-error' && system.runtime === 'go') {
    return `${system.name} is a Go program: it calls fsync and fdatasync as raw system calls, so libfiu's LD_PRELOAD wrappers never see them (checked: etcd acknowledges writes with every posix/io/sync point enabled)`;
  }
  return undefined;
}

export interface PlannedFault {
  readonly index: number;
  readonly kind: FaultKind;
  readonly holdMs: number;
  /** Pause after the cluster recovered, before the next episode. */
  readonly gapMs: number;
  /** Seeded choices for the episode (targets, sizes), drawn when it runs. */
  readonly seed: number;
}

/** Cycles through the kinds in seeded order, reshuffled each round, so a short run still meets each kind once. */
export function planFaults(seed: number, kinds: readonly FaultKind[], electionMs: number, count: number): PlannedFault[] {
  const random = new SeededRandom(seed ^ 0x5eed_fa17);
  const plan: PlannedFault[] = [];
  let round: FaultKind[] = [];
  for (let index = 0; index < count; index++) {
    if (round.length === 0) {
      round = [...kinds];
      for (let i = round.length - 1; i > 0; i--) {
        const j = random.nextInt(0, i + 1);
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    const kind = round.shift()!;
    // Pauses last one to three election timeouts, as the issue asks; other faults one to four seconds.
    const holdMs = kind.startsWith('pause') ? Math.round(electionMs * (1 + random.nextFloat() * 2)) : random.nextInt(1_000, 4_001);
    plan.push({ index, kind, holdMs, gapMs: random.nextInt(500, 1_501), seed: random.nextUint32() });
  }
  return plan;
}
