import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeKvCommand } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { Lessor } from '../../src/kv/lessor.js';
import type { Clock } from '../../src/runtime/clock.js';

class ManualClock implements Clock {
  wallMs = 1_700_000_000_000;
  monotonicMs = 0;
  wallNowMs(): number {
    return this.wallMs;
  }
  monotonicNowMs(): number {
    return this.monotonicMs;
  }
  advance(ms: number): void {
    this.wallMs += ms;
    this.monotonicMs += ms;
  }
}

test("a lease outlives a leader change: the new leader gives alice's lease its full TTL", () => {
  const oldClock = new ManualClock();
  const oldLeader = new Lessor({ clock: oldClock });
  oldLeader.promote();
  oldLeader.granted(7n, 10);
  oldClock.advance(9_000); // alice's lease has 1 s left on the old leader

  const newClock = new ManualClock();
  newClock.monotonicMs = 50_000; // another machine, another monotonic origin
  const newLeader = new Lessor({ clock: newClock });
  newLeader.reset([{ id: 7n, ttlSeconds: 10 }]);
  newLeader.promote();
  newClock.advance(9_999);
  assert.deepEqual(newLeader.expired(), []);
  assert.equal(newLeader.remainingSeconds(7n), 0);
  newClock.advance(1);
  assert.deepEqual(newLeader.expired(), [7n]);
});

test('a wall-clock jump of an hour does not expire a lease: only monotonic time counts', () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock });
  lessor.promote();
  lessor.granted(1n, 10);
  clock.wallMs += 3_600_000;
  clock.monotonicMs += 1_000;
  assert.deepEqual(lessor.expired(), []);
  assert.equal(lessor.remainingSeconds(1n), 9);
});

test("bob's keep-alives renew his lease; once he stops, it expires", () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock });
  lessor.promote();
  lessor.granted(2n, 5);
  for (let i = 0; i < 10; i++) {
    clock.advance(4_000);
    assert.deepEqual(lessor.renew(2n), { ok: true, ttlSeconds: 5 });
    assert.deepEqual(lessor.expired(), []);
  }
  clock.advance(5_000);
  assert.deepEqual(lessor.expired(), [2n]);
  assert.deepEqual(lessor.renew(2n), { ok: false, reason: 'expired' });
});

test('followers never expire leases, and refuse keep-alives', () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock });
  lessor.granted(3n, 1);
  clock.advance(60_000);
  assert.deepEqual(lessor.expired(), []);
  assert.deepEqual(lessor.renew(3n), { ok: false, reason: 'not-leader' });
  lessor.promote();
  lessor.demote();
  clock.advance(60_000);
  assert.deepEqual(lessor.expired(), []);
});

test('an expired lease is reported once, then again only after the retry interval', () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock, expiredRetryIntervalMs: 3_000 });
  lessor.promote();
  lessor.granted(4n, 1);
  clock.advance(1_000);
  assert.deepEqual(lessor.expired(), [4n]);
  clock.advance(2_999);
  assert.deepEqual(lessor.expired(), []);
  clock.advance(1);
  assert.deepEqual(lessor.expired(), [4n]);
  lessor.revoked(4n);
  clock.advance(10_000);
  assert.deepEqual(lessor.expired(), []);
  assert.equal(lessor.renew(4n).ok, false);
});

test('expiry reports are bounded per check and come oldest deadline first', () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock, maxExpiredPerCheck: 2 });
  lessor.promote();
  lessor.granted(10n, 3);
  lessor.granted(11n, 1);
  lessor.granted(12n, 2);
  clock.advance(5_000);
  assert.deepEqual(lessor.expired(), [11n, 12n]);
  assert.deepEqual(lessor.expired(), [10n]);
});

test('promote with an extension adds it to every lease', () => {
  const clock = new ManualClock();
  const lessor = new Lessor({ clock });
  lessor.granted(5n, 2);
  lessor.promote(1_000);
  clock.advance(2_999);
  assert.deepEqual(lessor.expired(), []);
  clock.advance(1);
  assert.deepEqual(lessor.expired(), [5n]);
});

test('every member\'s Lessor follows grants, revokes and restores as the state machine applies them', () => {
  const clock = new ManualClock();
  const follower = new KvStateMachine({ minLeaseTtlSeconds: 5 });
  const lessor = new Lessor({ clock });
  follower.onLeaseChange((change) => lessor.observe(change));
  const grant = follower.applyCommand(encodeKvCommand({ type: 'lease-grant', request: { id: 0n, ttlSeconds: 1 } }), 11);
  assert.ok(grant.ok && grant.value.type === 'lease-grant');
  const id = grant.value.response.id;
  assert.equal(lessor.size, 1);
  assert.equal(lessor.remainingSeconds(id), 5, 'tracks the TTL as raised to the minimum');
  follower.applyCommand(encodeKvCommand({ type: 'lease-revoke', request: { id } }), 12);
  assert.equal(lessor.size, 0);
  const leader = new KvStateMachine();
  leader.applyCommand(encodeKvCommand({ type: 'lease-grant', request: { id: 77n, ttlSeconds: 30 } }), 1);
  follower.restore(leader.snapshot(new Uint8Array()).toBytes());
  assert.equal(lessor.remainingSeconds(77n), 30);
  lessor.promote();
  clock.advance(30_000);
  assert.deepEqual(lessor.expired(), [77n]);
});
