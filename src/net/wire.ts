// What a Single-Socket Channel's frames carry. Every frame payload starts
// with one kind byte:
//   0x01 message   the application's encoded message (the Codec's bytes)
//   0x02 ping      8-byte float64: the sender's monotonic time when sent
//   0x03 pong      the ping's 8 bytes echoed, so the pinger gets its round trip
//   0x10 hello     the dialler's handshake (layout below)
//   0x11 welcome   the acceptor's handshake answer, same layout
//   0x12 refuse    1-byte reason code, then a UTF-8 explanation for the other side's log
//   0x20 discover  a joining member's question "who am I?": JSON {peerUrls}
//   0x21 discovered the answer: JSON {clusterId, node, id, members, text}; the connection then closes
// Hello and welcome: kind, the magic "TRLS", uint16 protocol version, uint64
// cluster id, then the sender's and the expected receiver's member ids, each
// a uint8 length and UTF-8 bytes. All integers are big-endian. The magic lets
// a listener tell a stray client (an HTTP probe, a port scanner) from a peer.

import type { ClusterId, NodeId } from '../ids.js';
import { clusterId, nodeId } from '../ids.js';

export const PEER_PROTOCOL_VERSION = 1;
/** The most bytes a hello, welcome or refuse may take; a listener reads no more than this from a stranger. */
export const MAX_HANDSHAKE_BYTES = 2048;
const MAX_MEMBER_ID_BYTES = 255;
const MAX_REFUSE_TEXT_BYTES = 1024;
const MAGIC = [0x54, 0x52, 0x4c, 0x53];

export const FrameKind = { message: 0x01, ping: 0x02, pong: 0x03, hello: 0x10, welcome: 0x11, refuse: 0x12, discover: 0x20, discovered: 0x21 } as const;

/**
 * What a member of a running cluster tells a member that is joining it
 * (started with --initial-cluster-state existing): the cluster's id and, if
 * its peer URLs were added with `member add`, its own member id, plus every
 * member's node id and peer URLs so it can open its channels.
 */
export interface Discovery {
  readonly clusterId: ClusterId;
  /** Null when no member has the joiner's peer URLs; `text` then says why. */
  readonly self: { readonly node: NodeId; readonly id: bigint } | null;
  readonly members: readonly { readonly node: NodeId; readonly peerUrls: readonly string[] }[];
  readonly text: string;
}

export type RefuseReason = 'version' | 'cluster' | 'unknown' | 'removed' | 'misdirected' | 'duplicate';
const refuseReasons: readonly RefuseReason[] = ['version', 'cluster', 'unknown', 'removed', 'misdirected', 'duplicate'];

export interface Handshake {
  readonly protocolVersion: number;
  readonly clusterId: ClusterId;
  readonly from: NodeId;
  /** The member the sender believes it is talking to. */
  readonly to: NodeId;
}

export type ControlFrame =
  | { readonly kind: 'ping' | 'pong'; readonly sentAtMs: number }
  | { readonly kind: 'hello' | 'welcome'; readonly handshake: Handshake }
  | { readonly kind: 'refuse'; readonly reason: RefuseReason; readonly text: string }
  | { readonly kind: 'discover'; readonly peerUrls: readonly string[] }
  | { readonly kind: 'discovered'; readonly discovery: Discovery };

export class MalformedPeerFrame extends Error {
  override readonly name = 'MalformedPeerFrame';
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeHandshake(kind: 'hello' | 'welcome', handshake: Handshake): Uint8Array {
  const from = memberIdBytes(handshake.from);
  const to = memberIdBytes(handshake.to);
  const out = new Uint8Array(1 + MAGIC.length + 2 + 8 + 1 + from.length + 1 + to.length);
  const view = new DataView(out.buffer);
  out[0] = FrameKind[kind];
  out.set(MAGIC, 1);
  view.setUint16(5, handshake.protocolVersion, false);
  view.setBigUint64(7, handshake.clusterId, false);
  out[15] = from.length;
  out.set(from, 16);
  out[16 + from.length] = to.length;
  out.set(to, 17 + from.length);
  return out;
}

export function encodeRefuse(reason: RefuseReason, text: string): Uint8Array {
  let textBytes = utf8Encoder.encode(text);
  if (textBytes.length > MAX_REFUSE_TEXT_BYTES) textBytes = utf8Encoder.encode(text.slice(0, MAX_REFUSE_TEXT_BYTES / 4));
  const out = new Uint8Array(2 + textBytes.length);
  out[0] = FrameKind.refuse;
  out[1] = refuseReasons.indexOf(reason) + 1;
  out.set(textBytes, 2);
  return out;
}

export function encodePing(kind: 'ping' | 'pong', sentAtMs: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = FrameKind[kind];
  new DataView(out.buffer).setFloat64(1, sentAtMs, false);
  return out;
}

export function encodeDiscover(peerUrls: readonly string[]): Uint8Array {
  return withKind(FrameKind.discover, utf8Encoder.encode(JSON.stringify({ peerUrls })));
}

export function encodeDiscovered(discovery: Discovery): Uint8Array {
  return withKind(FrameKind.discovered, utf8Encoder.encode(JSON.stringify({
    clusterId: discovery.clusterId.toString(),
    self: discovery.self === null ? null : { node: discovery.self.node, id: discovery.self.id.toString() },
    members: discovery.members,
    text: discovery.text,
  })));
}

function withKind(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

function decodeJson(payload: Uint8Array, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(decodeUtf8(payload.subarray(1), what));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedPeerFrame(`${what} is not an object`);
    return value as Record<string, unknown>;
  } catch (error) {
    if (error instanceof MalformedPeerFrame) throw error;
    throw new MalformedPeerFrame(`${what} is not JSON`);
  }
}

const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

function decodeDiscovered(payload: Uint8Array): Discovery {
  const body = decodeJson(payload, 'discovery answer');
  const self = body['self'] as { node?: unknown; id?: unknown } | null;
  const members = body['members'];
  if (typeof body['clusterId'] !== 'string' || !/^\d{1,20}$/.test(body['clusterId'])) throw new MalformedPeerFrame('discovery answer without a cluster id');
  if (!Array.isArray(members) || !members.every((m: { node?: unknown; peerUrls?: unknown }) => typeof m?.node === 'string' && isStrings(m.peerUrls))) {
    throw new MalformedPeerFrame('discovery answer with a bad member list');
  }
  if (self !== null && (typeof self?.node !== 'string' || typeof self.id !== 'string' || !/^\d{1,20}$/.test(self.id))) throw new MalformedPeerFrame('discovery answer with a bad self');
  return {
    clusterId: clusterId(BigInt(body['clusterId'])),
    self: self === null ? null : { node: nodeId(self.node as string), id: BigInt(self.id as string) },
    members: (members as { node: string; peerUrls: string[] }[]).map((m) => ({ node: nodeId(m.node), peerUrls: m.peerUrls })),
    text: typeof body['text'] === 'string' ? body['text'] : '',
  };
}

/** Reads any frame but a message. Throws MalformedPeerFrame naming what is wrong. */
export function decodeControlFrame(payload: Uint8Array): ControlFrame {
  if (payload.length === 0) throw new MalformedPeerFrame('empty frame');
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const kind = payload[0]!;
  if (kind === FrameKind.ping || kind === FrameKind.pong) {
    if (payload.length !== 9) throw new MalformedPeerFrame(`a ping or pong is 9 bytes, not ${payload.length}`);
    return { kind: kind === FrameKind.ping ? 'ping' : 'pong', sentAtMs: view.getFloat64(1, false) };
  }
  if (kind === FrameKind.hello || kind === FrameKind.welcome) {
    return { kind: kind === FrameKind.hello ? 'hello' : 'welcome', handshake: decodeHandshake(payload, view) };
  }
  if (kind === FrameKind.refuse) {
    const reason = refuseReasons[(payload[1] ?? 0) - 1];
    if (reason === undefined) throw new MalformedPeerFrame(`unknown refusal reason ${payload[1]}`);
    if (payload.length > 2 + MAX_REFUSE_TEXT_BYTES) throw new MalformedPeerFrame('refusal text too long');
    return { kind: 'refuse', reason, text: decodeUtf8(payload.subarray(2), 'refusal text') };
  }
  if (kind === FrameKind.discover) {
    if (payload.length > MAX_HANDSHAKE_BYTES) throw new MalformedPeerFrame(`discover of ${payload.length} bytes is too long`);
    const peerUrls = decodeJson(payload, 'discover')['peerUrls'];
    if (!isStrings(peerUrls) || peerUrls.length === 0) throw new MalformedPeerFrame('discover without peer URLs');
    return { kind: 'discover', peerUrls };
  }
  if (kind === FrameKind.discovered) return { kind: 'discovered', discovery: decodeDiscovered(payload) };
  throw new MalformedPeerFrame(`unknown frame kind 0x${kind.toString(16).padStart(2, '0')}`);
}

function decodeHandshake(payload: Uint8Array, view: DataView): Handshake {
  if (payload.length > MAX_HANDSHAKE_BYTES) throw new MalformedPeerFrame(`handshake of ${payload.length} bytes is too long`);
  if (payload.length < 18 || MAGIC.some((byte, i) => payload[1 + i] !== byte)) throw new MalformedPeerFrame('a hello without the Trellis magic');
  const protocolVersion = view.getUint16(5, false);
  const cluster = clusterId(view.getBigUint64(7, false));
  const fromLength = payload[15]!;
  const toOffset = 16 + fromLength;
  if (toOffset >= payload.length) throw new MalformedPeerFrame('handshake ends inside the sender id');
  const toLength = payload[toOffset]!;
  if (toOffset + 1 + toLength !== payload.length) throw new MalformedPeerFrame('handshake length does not match its member ids');
  const from = decodeUtf8(payload.subarray(16, toOffset), 'sender id');
  const to = decodeUtf8(payload.subarray(toOffset + 1), 'receiver id');
  if (from === '' || to === '') throw new MalformedPeerFrame('empty member id in handshake');
  return { protocolVersion, clusterId: cluster, from: nodeId(from), to: nodeId(to) };
}

/** Throws a RangeError naming the id unless a handshake can carry it. */
export function checkMemberId(id: NodeId): void {
  memberIdBytes(id);
}

function memberIdBytes(id: NodeId): Uint8Array {
  const bytes = utf8Encoder.encode(id);
  if (bytes.length === 0 || bytes.length > MAX_MEMBER_ID_BYTES) throw new RangeError(`member id "${id}" must be 1 to ${MAX_MEMBER_ID_BYTES} UTF-8 bytes`);
  return bytes;
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new MalformedPeerFrame(`${what} is not valid UTF-8`);
  }
}

/** A cluster id as logs show it: 16 hex digits, as etcd prints ids. */
export const formatClusterId = (id: bigint): string => id.toString(16).padStart(16, '0');
