// The fault vocabulary of `trellis chaos`: groups expand, nonsense is refused
// with the list of what exists, the two partition networks do not mix, a
// seeded plan meets every kind in each round, and what a Go binary cannot
// feel is marked not applicable instead of counted as passed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultGroups, faultKinds, networkFor, notApplicableReason, parseFaultKinds, planFaults } from '../../src/chaos/faults.js';
import { etcdSystem, trellisSystem } from '../../src/chaos/system-spec.js';

test('groups expand into their kinds, and single kinds mix with them', () => {
  assert.deepEqual(parseFaultKinds('kill'), ['kill-leader', 'kill-random', 'kill-majority']);
  assert.deepEqual(parseFaultKinds('pause-leader, disk'), ['pause-leader', 'fsync-error', 'disk-full']);
  const all = parseFaultKinds('all');
  assert.ok(!all.some((kind) => kind.startsWith('netns')), 'all keeps to the proxy network');
  assert.equal(new Set([...all, ...faultGroups.netns!]).size, faultKinds.length);
});

test('an unknown fault is refused with the names that exist', () => {
  assert.throws(() => parseFaultKinds('kill,earthquake'), /unknown fault "earthquake": use kinds \(kill-leader, .*\) or groups \(all, kill, pause/);
  assert.throws(() => parseFaultKinds(' , '), /no faults given/);
});

test('proxy and netns partitions cannot share a run', () => {
  assert.equal(networkFor(parseFaultKinds('kill,partition')), 'proxy');
  assert.equal(networkFor(parseFaultKinds('kill,netns')), 'netns');
  assert.throws(() => networkFor(parseFaultKinds('partition-ring,netns-ring')), /different networks/);
});

test('a seeded plan is the same every time and meets every kind once per round', () => {
  const kinds = parseFaultKinds('kill,pause,replace');
  const plan = planFaults(42, kinds, 1_000, 12);
  assert.deepEqual(plan, planFaults(42, kinds, 1_000, 12));
  assert.notDeepEqual(plan.map((p) => p.kind), planFaults(43, kinds, 1_000, 12).map((p) => p.kind));
  for (let round = 0; round < 2; round++) assert.equal(new Set(plan.slice(round * 6, round * 6 + 6).map((p) => p.kind)).size, 6);
  for (const pause of plan.filter((p) => p.kind.startsWith('pause'))) assert.ok(pause.holdMs >= 1_000 && pause.holdMs <= 3_000, 'pauses last one to three election timeouts');
});

test('clock and fsync faults are not applicable to etcd, and applicable to Trellis', () => {
  for (const kind of ['clock-skew', 'clock-jump', 'fsync-error'] as const) {
    assert.match(notApplicableReason(kind, etcdSystem) ?? '', /Go program/);
    assert.equal(notApplicableReason(kind, trellisSystem), undefined);
  }
  for (const kind of ['kill-leader', 'disk-full', 'partition-ring', 'netns-leader', 'replace-member'] as const) assert.equal(notApplicableReason(kind, etcdSystem), undefined);
});
