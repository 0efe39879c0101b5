import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processMetricFamilies } from '../../src/runtime/node/member-metrics.js';
import { TimedDisk } from '../../src/runtime/node/timed-disk.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import type { MetricFamily } from '../../src/server/metrics.js';

const valueOf = (families: readonly MetricFamily[], name: string): number => {
  const family = families.find((candidate) => candidate.name === name);
  assert.ok(family !== undefined, `/metrics has ${name}`);
  assert.equal(family.type, 'gauge');
  assert.equal(family.samples.length, 1);
  return family.samples[0]!.value;
};

test('jupiter\'s /metrics tells how much memory the member holds: resident, V8 heap and buffers', () => {
  const disk = new TimedDisk(new SimDisk({ random: new SeededRandom(1) }));
  // A buffer held while the gauges are read must show up among the array buffers.
  const held = Buffer.alloc(8 * 1024 * 1024, 1);
  const families = processMetricFamilies(disk, { peers: [], droppedUnknownPeer: 0, inboundRefused: {} });
  const resident = valueOf(families, 'process_resident_memory_bytes');
  const heapUsed = valueOf(families, 'nodejs_heap_used_bytes');
  const heapTotal = valueOf(families, 'nodejs_heap_total_bytes');
  const arrayBuffers = valueOf(families, 'nodejs_array_buffers_bytes');
  assert.ok(heapUsed > 0 && heapUsed <= heapTotal, `heap used ${heapUsed} within heap total ${heapTotal}`);
  assert.ok(arrayBuffers >= held.length, `array buffers ${arrayBuffers} count the ${held.length} bytes held`);
  assert.ok(valueOf(families, 'nodejs_external_memory_bytes') >= arrayBuffers);
  assert.ok(resident >= heapUsed, `resident ${resident} is at least the heap in use`);
  assert.ok(valueOf(families, 'nodejs_v8_malloced_bytes') >= 0);
  assert.equal(held[0], 1);
});

test("jupiter's /metrics gives each V8 heap space's size, the young generation (new) among them", () => {
  const disk = new TimedDisk(new SimDisk({ random: new SeededRandom(1) }));
  const families = processMetricFamilies(disk, { peers: [], droppedUnknownPeer: 0, inboundRefused: {} });
  const spaces = families.find((family) => family.name === 'nodejs_heap_space_size_total_bytes');
  assert.ok(spaces !== undefined);
  assert.equal(spaces.type, 'gauge');
  const bySpace = new Map(spaces.samples.map((sample) => [sample.labels?.['space'], sample.value]));
  for (const space of ['new', 'old', 'code', 'large_object']) assert.ok((bySpace.get(space) ?? 0) > 0, `${space} has room reserved`);
});
