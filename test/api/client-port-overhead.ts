// What the client port's front costs a put. The servers run in a child
// process, so its CPU time is theirs alone; the parent runs the same bounded
// put loop against each in turn:
//   - grpc-js bound to its port with bindAsync (no front, as before; grpc-js
//     leaves Nagle's algorithm on for the sockets it accepts),
//   - grpc-js fed sockets with TCP_NODELAY by a bare net.Server (no front,
//     the socket options the front uses),
//   - the front with a clean :authority (the socket itself handed over),
//   - the front with etcd's Go client's "http://host:port" authority (every
//     header block rewritten).
// Rounds alternate so that load from other work on the machine falls on all
// modes alike; the ratios and the server's CPU per put are the result.
// Not a test (timing has no place in npm test): run it after a build with
//   node .build/<dir>/test/api/client-port-overhead.js [putsPerRound] [rounds]

import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, credentials, type Client } from '@grpc/grpc-js';
import { LocalBackend } from '../../src/api/etcd/local-backend.js';
import { etcdServices } from '../../src/api/etcd/proto.js';
import { startEtcdServer } from '../../src/api/etcd/server.js';
import { kvService } from '../../src/api/etcd/services/kv-service.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { SystemClock, SystemTimers } from '../../src/runtime/node/system-clock.js';

interface Ports { readonly plain: number; readonly bare: number; readonly front: number }
type FromChild = { ports: Ports } | { cpuMicros: number };

async function serve(): Promise<void> {
  const backend = (): LocalBackend => new LocalBackend({ clock: new SystemClock(), timers: new SystemTimers(), memberName: 'trellis', peerUrls: ['http://127.0.0.1:2380'] });
  const plain = new Server();
  plain.addService(etcdServices().KV.service, kvService({
    backend: backend(), timers: new SystemTimers(), logger: silentLogger, requestTimeoutMs: 7_000, maxTxnOps: 128, maxKeepAliveInflight: 1_000,
  }));
  const plainPort = await new Promise<number>((resolve, reject) =>
    plain.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error === null ? resolve(port) : reject(error))),
  );
  const injector = plain.createConnectionInjector(ServerCredentials.createInsecure());
  const bare = createServer((socket) => {
    socket.setNoDelay(true);
    injector.injectConnection(socket);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const front = await startEtcdServer({ backend: backend(), listen: { host: '127.0.0.1', port: 0 } });
  process.on('message', (message: string) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ cpuMicros: user + system } satisfies FromChild);
    } else {
      process.exit(0);
    }
  });
  process.send!({ ports: { plain: plainPort, bare: (bare.address() as { port: number }).port, front: front.port } } satisfies FromChild);
}

async function measure(): Promise<void> {
  const putsPerRound = Number(process.argv[2] ?? 10_000);
  const rounds = Number(process.argv[3] ?? 7);
  const concurrency = 16;
  const value = Buffer.alloc(100, 'w');
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const replies: ((message: FromChild) => void)[] = [];
  child.on('message', (message: FromChild) => replies.shift()?.(message));
  const next = (): Promise<FromChild> => new Promise((resolve) => replies.push(resolve));
  const { ports } = (await next()) as { ports: Ports };
  const serverCpu = async (): Promise<number> => {
    const reply = next();
    child.send('cpu');
    return ((await reply) as { cpuMicros: number }).cpuMicros;
  };

  const putter = (port: number, authority?: string): { name: string; client: Client; put: (key: Buffer) => Promise<void> } => {
    const client = new (etcdServices().KV)(`127.0.0.1:${port}`, credentials.createInsecure(), authority === undefined ? {} : { 'grpc.default_authority': authority });
    const put = (key: Buffer): Promise<void> =>
      new Promise((resolve, reject) => (client as unknown as { Put(r: object, cb: (e: Error | null) => void): void }).Put({ key, value }, (e) => (e === null ? resolve() : reject(e))));
    return { name: '', client, put };
  };
  const modes = [
    { ...putter(ports.plain), name: 'grpc-js bindAsync, no front' },
    { ...putter(ports.bare), name: 'grpc-js injected, TCP_NODELAY, no front' },
    { ...putter(ports.front), name: 'front, clean authority (socket handed over)' },
    { ...putter(ports.front, `http://127.0.0.1:${ports.front}`), name: 'front, authority http://… (rewritten)' },
  ];
  const round = async (put: (key: Buffer) => Promise<void>, label: string, count: number): Promise<{ putsPerSecond: number; serverCpuMicrosPerPut: number }> => {
    let issued = 0;
    const cpuBefore = await serverCpu();
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (issued < count) await put(Buffer.from(`${label}/widget${issued++ % 1000}`));
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { putsPerSecond: count / seconds, serverCpuMicrosPerPut: ((await serverCpu()) - cpuBefore) / count };
  };

  for (const mode of modes) await round(mode.put, 'warmup', 2_000);
  const results = new Map(modes.map((m) => [m.name, [] as { putsPerSecond: number; serverCpuMicrosPerPut: number }[]]));
  for (let r = 0; r < rounds; r++) for (const mode of modes) results.get(mode.name)!.push(await round(mode.put, `r${r}`, putsPerRound));

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = results.get(modes[0]!.name)!;
  const [basePuts, baseCpu] = [median(base.map((x) => x.putsPerSecond)), median(base.map((x) => x.serverCpuMicrosPerPut))];
  console.log(`${rounds} rounds of ${putsPerRound} puts per mode, ${concurrency} in flight; medians; ratios against the first line`);
  for (const mode of modes) {
    const rs = results.get(mode.name)!;
    const [puts, cpu] = [median(rs.map((x) => x.putsPerSecond)), median(rs.map((x) => x.serverCpuMicrosPerPut))];
    console.log(`${mode.name.padEnd(44)} ${puts.toFixed(0).padStart(6)} puts/s (x${(puts / basePuts).toFixed(2)})  server CPU ${cpu.toFixed(1).padStart(6)} µs/put (x${(cpu / baseCpu).toFixed(2)})`);
  }
  for (const mode of modes) mode.client.close();
  child.send('exit');
}

await (process.argv.includes('--serve') ? serve() : measure());
