import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TcpNetwork, createTcpPeerTransport } from '../../src/runtime/node/tcp-transport.js';
import type { Connection } from '../../src/net/network.js';
import { jupiter, ourCluster, saturn, startMember, waitFor, widgetCodec } from '../net/cast.js';
import { deadAddress } from '../net/raw-peer.js';

test('a second member on a taken peer port is refused with the address named', async () => {
  const j = await startMember(jupiter);
  try {
    const clash = createTcpPeerTransport({ self: saturn, clusterId: ourCluster, listen: j.address, peers: new Map(), codec: widgetCodec });
    await assert.rejects(clash.start(), new RegExp(`peer address 127.0.0.1:${j.address.port} is already in use`));
    clash.close();
  } finally {
    j.transport.close();
  }
});

test('the TCP network counts dials, accepted sockets and writes, and delivers bytes in order', async () => {
  const network = new TcpNetwork();
  const received: number[] = [];
  let accepted: Connection | null = null;
  const listener = await network.listen({ host: '127.0.0.1', port: 0 }, (connection) => {
    accepted = connection;
    connection.setHandlers({ opened: () => {}, data: (chunk) => received.push(...chunk), closed: () => {} });
  });
  const dialled = network.dial(listener.address);
  let opened = false;
  dialled.setHandlers({ opened: () => { opened = true; }, data: () => {}, closed: () => {} });
  await waitFor('the connection', () => opened && accepted !== null);
  assert.match(dialled.label, new RegExp(`^127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${listener.address.port}$`));
  let flushed = 0;
  for (const bytes of [[1, 2], [3], [4, 5, 6]]) dialled.write(Uint8Array.from(bytes), () => flushed++);
  await waitFor('the bytes', () => received.length === 6 && flushed === 3);
  assert.deepEqual(received, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(network.statistics(), { dials: 1, accepted: 1, writes: 3, bytesWritten: 6, openConnections: 2 });
  dialled.close();
  accepted!.close();
  listener.close();
  await waitFor('both sockets to close', () => network.statistics().openConnections === 0);
});

test('a dial where nobody listens reports ECONNREFUSED', async () => {
  const network = new TcpNetwork();
  const connection = network.dial(await deadAddress());
  const reason = await new Promise<string>((resolve) => connection.setHandlers({ opened: () => {}, data: () => {}, closed: resolve }));
  assert.equal(reason, 'ECONNREFUSED');
});

test('a process whose members have closed their transports exits by itself', async () => {
  const script = fileURLToPath(new URL('./exit-after-close.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exitCode = await new Promise<number | null>((resolve) => {
    // A generous bound: the point is "exits at all"; a leaked timer or socket would keep it alive forever.
    const hang = setTimeout(() => { child.kill(); resolve(null); }, 15_000);
    child.on('exit', (code) => { clearTimeout(hang); resolve(code); });
  });
  assert.equal(output.trim(), 'closed');
  assert.equal(exitCode, 0, 'the process exited on its own');
});
