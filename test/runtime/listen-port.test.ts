// Ports for members to listen on come from below the kernel's ephemeral
// range, where no outgoing connection can take them first.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freeListenPort } from '../../src/runtime/node/listen-port.js';

test('ports handed out are free, below the ephemeral range, and never the same twice in a row of fifty', async () => {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports: number[] = [];
  for (let i = 0; i < 50; i++) ports.push(await freeListenPort());
  assert.equal(new Set(ports).size, ports.length);
  if (low > 11_000) for (const port of ports) assert.ok(port < low, `${port} is below the ephemeral range starting at ${low}`);
  // Each is free to bind right after.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ports[0], '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
