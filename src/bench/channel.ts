// What write coalescing (Request Batch on the wire) buys the peer transport:
// one member streams 256-byte messages to another over loopback, sending a
// burst per event-loop turn as a busy Raft leader does, once with every
// turn's messages in one write and once with a write per message. Both pairs
// run in this process, in alternating slices, so a machine whose speed
// drifts is fair to both; the figures are the ratio, not the absolutes.

import { performance } from 'node:perf_hooks';
import { clusterId, nodeId } from '../ids.js';
import type { PeerTransport } from '../net/peer-transport.js';
import { TcpNetwork, createTcpPeerTransport } from '../runtime/node/tcp-transport.js';
import type { Codec } from '../runtime/transport.js';

export interface ChannelBenchOptions {
  /** Total measuring time over all phases. */
  readonly durationMs: number;
  readonly out: (line: string) => void;
  /** Default 256. */
  readonly payloadBytes?: number;
  /** Messages sent per event-loop turn; one phase pair per entry. Default [1, 16, 64]. */
  readonly burstSizes?: readonly number[];
}

export interface ChannelBenchRun {
  readonly burst: number;
  readonly coalesceWrites: boolean;
  readonly messagesPerSecond: number;
  readonly megabytesPerSecond: number;
  /** Socket writes per message sent. */
  readonly writesPerMessage: number;
  /** Process CPU (both ends) per message, in microseconds. */
  readonly cpuMicrosPerMessage: number;
  readonly dropped: number;
}

export interface ChannelBenchResult {
  readonly runs: readonly ChannelBenchRun[];
}

const SLICE_MS = 250;
/** Sent but not yet received: the sender waits above this, as Raft's in-flight window would make it. */
const MAX_IN_FLIGHT_MESSAGES = 2_048;
const bytesCodec: Codec<Uint8Array> = { encode: (m) => m, decode: (b) => b };
const jupiter = nodeId('jupiter');
const saturn = nodeId('saturn');

interface Pair {
  readonly coalesceWrites: boolean;
  readonly sender: PeerTransport<Uint8Array>;
  readonly receiver: PeerTransport<Uint8Array>;
  readonly network: TcpNetwork;
  received: number;
}

export async function runChannelBench(options: ChannelBenchOptions): Promise<ChannelBenchResult> {
  const payload = new Uint8Array(options.payloadBytes ?? 256).fill(0x5a);
  const bursts = options.burstSizes ?? [1, 16, 64];
  const pairs = [await startPair(true), await startPair(false)];
  try {
    const runs: ChannelBenchRun[] = [];
    for (const burst of bursts) {
      const totals = pairs.map(() => ({ messages: 0, elapsedMs: 0, cpuMicros: 0, writes: 0 }));
      const rounds = Math.max(1, Math.round(options.durationMs / bursts.length / pairs.length / SLICE_MS));
      for (let round = 0; round < rounds; round++) {
        for (const [n, pair] of pairs.entries()) await measureSlice(pair, payload, burst, totals[n]!);
      }
      for (const [n, pair] of pairs.entries()) {
        const total = totals[n]!;
        const stats = pair.sender.statistics().peers[0]!;
        const run: ChannelBenchRun = {
          burst,
          coalesceWrites: pair.coalesceWrites,
          messagesPerSecond: total.messages / (total.elapsedMs / 1000),
          megabytesPerSecond: (total.messages * payload.length) / (total.elapsedMs / 1000) / 1e6,
          writesPerMessage: total.writes / total.messages,
          cpuMicrosPerMessage: total.cpuMicros / total.messages,
          dropped: stats.dropped.queueFull + stats.dropped.disconnected,
        };
        runs.push(run);
        options.out(`burst ${String(burst).padStart(3)} per turn, ${pair.coalesceWrites ? 'coalesced   ' : 'uncoalesced '}: ${run.messagesPerSecond.toFixed(0).padStart(8)} msg/s, ${run.megabytesPerSecond.toFixed(1).padStart(6)} MB/s, ${run.writesPerMessage.toFixed(3)} writes/msg, ${run.cpuMicrosPerMessage.toFixed(2)} µs CPU/msg, ${run.dropped} dropped`);
      }
      const [on, off] = runs.slice(-2);
      options.out(`burst ${String(burst).padStart(3)} per turn: coalescing gives ${(on!.messagesPerSecond / off!.messagesPerSecond).toFixed(2)}x the throughput at ${(on!.cpuMicrosPerMessage / off!.cpuMicrosPerMessage).toFixed(2)}x the CPU per message (${rounds} slices of ${SLICE_MS} ms each)`);
    }
    return { runs };
  } finally {
    for (const pair of pairs) {
      pair.sender.close();
      pair.receiver.close();
    }
  }
}

async function startPair(coalesceWrites: boolean): Promise<Pair> {
  const cluster = clusterId(0xbe_0c_4a_11n);
  const network = new TcpNetwork();
  const limits = { coalesceWrites };
  const receiver = createTcpPeerTransport({ self: saturn, clusterId: cluster, listen: { host: '127.0.0.1', port: 0 }, peers: new Map(), codec: bytesCodec, limits });
  const receiverAddress = await receiver.start();
  const sender = createTcpPeerTransport({ self: jupiter, clusterId: cluster, listen: { host: '127.0.0.1', port: 0 }, peers: new Map([[saturn, receiverAddress]]), codec: bytesCodec, network, limits });
  const senderAddress = await sender.start();
  receiver.addPeer(jupiter, senderAddress);
  const pair: Pair = { coalesceWrites, sender, receiver, network, received: 0 };
  receiver.onReceive(() => pair.received++);
  const deadline = performance.now() + 5_000;
  while (!sender.statistics().peers[0]!.connected) {
    if (performance.now() > deadline) throw new Error('the benchmark pair did not connect within 5 s');
    await nextTurn();
  }
  return pair;
}

/** Streams for one slice, then waits until everything sent has arrived, so a slice's messages are all counted in it. */
async function measureSlice(pair: Pair, payload: Uint8Array, burst: number, total: { messages: number; elapsedMs: number; cpuMicros: number; writes: number }): Promise<void> {
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  const startWrites = pair.network.statistics().writes;
  const target = pair.received;
  const dropped = (): number => {
    const counts = pair.sender.statistics().peers[0]!.dropped;
    return counts.queueFull + counts.disconnected;
  };
  const droppedBefore = dropped();
  let sent = 0;
  while (performance.now() - startMs < SLICE_MS) {
    for (let i = 0; i < burst; i++) pair.sender.send(saturn, payload);
    sent += burst;
    await nextTurn();
    while (target + sent - pair.received > MAX_IN_FLIGHT_MESSAGES) await nextTurn();
  }
  const drainDeadline = performance.now() + 5_000;
  while (pair.received < target + sent - (dropped() - droppedBefore) && performance.now() < drainDeadline) await nextTurn();
  const cpu = process.cpuUsage(startCpu);
  total.messages += pair.received - target;
  total.elapsedMs += performance.now() - startMs;
  total.cpuMicros += cpu.user + cpu.system;
  total.writes += pair.network.statistics().writes - startWrites;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
