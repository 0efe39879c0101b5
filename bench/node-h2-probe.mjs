// The Node alternative to bench/loadgen, kept to re-measure the choice between
// them (see bench/README.md): etcd v3 unary calls over node:http2 with
// requests encoded once up front, N in flight over 8 sessions, one thread.
// Prints the CPU this process spent per completed request.
//
//   node bench/node-h2-probe.mjs <host:port,...> <put|range-ser> <inflight> <seconds>
import http2 from 'node:http2';
import { setTimeout } from 'node:timers';

const [endpointList, kind = 'put', inflightText = '64', secondsText = '5'] = process.argv.slice(2);
if (endpointList === undefined || !['put', 'range-ser'].includes(kind)) {
  console.error('usage: node bench/node-h2-probe.mjs <host:port,...> <put|range-ser> <inflight> <seconds>');
  process.exit(2);
}
const endpoints = endpointList.split(',');
const inflight = Number(inflightText);
const seconds = Number(secondsText);
const sessionCount = 8;
const keyCount = 10_000;
const value = Buffer.alloc(256, 7);

function varint(n) {
  const bytes = [];
  while (n > 0x7f) { bytes.push((n & 0x7f) | 0x80); n >>>= 7; }
  bytes.push(n);
  return Buffer.from(bytes);
}

function field(tag, bytes) {
  return Buffer.concat([Buffer.from([tag]), varint(bytes.length), bytes]);
}

/** A gRPC length-prefixed message: PutRequest{key=1, value=2} or RangeRequest{key=1, serializable=7}. */
function frame(key) {
  const message = kind === 'put'
    ? Buffer.concat([field(0x0a, key), field(0x12, value)])
    : Buffer.concat([field(0x0a, key), Buffer.from([0x38, 1])]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

const frames = Array.from({ length: keyCount }, (_, i) => frame(Buffer.from(`bench/key/${String(i).padStart(6, '0')}`)));
const sessions = Array.from({ length: sessionCount }, (_, i) => http2.connect(`http://${endpoints[i % endpoints.length]}`));
const headers = { ':method': 'POST', ':path': kind === 'put' ? '/etcdserverpb.KV/Put' : '/etcdserverpb.KV/Range', 'content-type': 'application/grpc', te: 'trailers' };
let ok = 0;
let failed = 0;
let measuring = false;
let stopping = false;
let next = 0;

function call(slot) {
  if (stopping) return;
  const stream = sessions[slot % sessionCount].request(headers);
  let status;
  stream.on('trailers', (trailers) => { status = trailers['grpc-status']; });
  stream.on('data', () => {});
  stream.on('error', () => {});
  stream.on('close', () => {
    if (measuring) {
      if (status === '0') ok++;
      else failed++;
    }
    call(slot);
  });
  next = (next + 7919) % keyCount;
  stream.end(frames[next]);
}

for (let slot = 0; slot < inflight; slot++) call(slot);
setTimeout(() => {
  measuring = true;
  const cpuBefore = process.cpuUsage();
  const startedMs = Date.now();
  setTimeout(() => {
    measuring = false;
    stopping = true;
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedS = (Date.now() - startedMs) / 1000;
    console.log(JSON.stringify({ client: 'node-h2', kind, inflight, opsPerS: Math.round(ok / elapsedS), failed, cpuUsPerOp: Number(((cpu.user + cpu.system) / ok).toFixed(1)), cores: Number(((cpu.user + cpu.system) / 1e6 / elapsedS).toFixed(2)) }));
    for (const session of sessions) session.close();
  }, seconds * 1000);
}, 1000);
