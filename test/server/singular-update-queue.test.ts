import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingularUpdateQueue } from '../../src/server/singular-update-queue.js';

test('an event queued while another runs waits for it to finish instead of nesting', () => {
  const log: string[] = [];
  let idle = 0;
  const queue = new SingularUpdateQueue({ maxQueuedEvents: 8, maxInternalEvents: 2 }, () => idle++, (error) => { throw error; });
  queue.offer('peer', () => {
    log.push('jupiter append: start');
    queue.offer('client', () => log.push('alice proposal'));
    log.push('jupiter append: end');
  });
  assert.deepEqual(log, ['jupiter append: start', 'jupiter append: end', 'alice proposal']);
  assert.equal(idle, 1, 'the node collects its Ready once, after both events');
  assert.equal(queue.statistics().handledEvents, 2);
});

test('a full queue refuses clients and drops peer messages, but never the node\'s own events', () => {
  const queue = new SingularUpdateQueue({ maxQueuedEvents: 2, maxInternalEvents: 4 }, () => {}, (error) => { throw error; });
  const outcomes: boolean[] = [];
  const ran: string[] = [];
  queue.offer('internal', () => {
    // While this event runs, the others pile up behind it.
    outcomes.push(queue.offer('client', () => ran.push('alice')));
    outcomes.push(queue.offer('client', () => ran.push('bob')));
    outcomes.push(queue.offer('client', () => ran.push('carol')));
    outcomes.push(queue.offer('peer', () => ran.push('saturn heartbeat')));
    outcomes.push(queue.offer('internal', () => ran.push('disk completion')));
  });
  assert.deepEqual(outcomes, [true, true, false, false, true]);
  assert.deepEqual(ran, ['alice', 'bob', 'disk completion']);
  assert.deepEqual(queue.statistics(), { handledEvents: 4, refusedClientEvents: 1, droppedPeerEvents: 1 });
  assert.equal(queue.queuedEvents, 0);
});

test('a handler that throws closes the queue and reports the error once', () => {
  const errors: unknown[] = [];
  const queue = new SingularUpdateQueue({ maxQueuedEvents: 4, maxInternalEvents: 4 }, () => {}, (error) => errors.push(error));
  let laterRan = false;
  queue.offer('peer', () => {
    queue.offer('peer', () => { laterRan = true; });
    throw new Error('commit index moved back');
  });
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'commit index moved back');
  assert.equal(laterRan, false, 'nothing runs after a handler left the core in an unknown state');
  assert.equal(queue.isClosed, true);
  assert.equal(queue.offer('client', () => { laterRan = true; }), false);
});

test('work found while idle (a Ready) runs before the queue gives the turn back', () => {
  const order: string[] = [];
  let readyPending = true;
  const queue = new SingularUpdateQueue({ maxQueuedEvents: 4, maxInternalEvents: 4 }, () => {
    order.push('idle');
    if (readyPending) {
      readyPending = false;
      queue.offer('internal', () => order.push('apply committed'));
    }
  }, (error) => { throw error; });
  queue.offer('peer', () => order.push('append'));
  assert.deepEqual(order, ['append', 'idle', 'apply committed', 'idle']);
});
