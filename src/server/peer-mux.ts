// Two kinds of traffic share each member-to-member channel: Raft's messages
// and the members' own requests (keep-alives and membership changes sent to
// the leader). One leading byte tells them apart, so both ride the same
// Single-Socket Channel, in order, under one set of limits.

import type { NodeId } from '../ids.js';
import { encodeRaftMessage, raftMessageCodec } from '../consensus/message-codec.js';
import type { RaftMessage } from '../consensus/messages.js';
import type { Codec, Transport } from '../runtime/transport.js';
import { type PeerMessage, peerMessageCodec } from './peer-requests.js';

export type MemberWire = { readonly channel: 'raft'; readonly message: RaftMessage } | { readonly channel: 'peer'; readonly message: PeerMessage };

const raftTag = 0;
const peerTag = 1;

function tagged(tag: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(payload.length + 1);
  bytes[0] = tag;
  bytes.set(payload, 1);
  return bytes;
}

export const memberWireCodec: Codec<MemberWire> = {
  // Raft's messages, the busy channel, are encoded after their tag in one buffer; the members' requests are copied behind theirs.
  encode: (wire) => (wire.channel === 'raft' ? encodeRaftMessage(wire.message, raftTag) : tagged(peerTag, peerMessageCodec.encode(wire.message))),
  decode: (bytes) => {
    const tag = bytes[0];
    if (tag === raftTag) return { channel: 'raft', message: raftMessageCodec.decode(bytes.subarray(1)) };
    if (tag === peerTag) return { channel: 'peer', message: peerMessageCodec.decode(bytes.subarray(1)) };
    throw new RangeError(`unknown member channel tag ${String(tag)}`);
  },
};

/** Splits one member transport into Raft's and the members' requests'. Closing either closes the shared one. */
export function splitMemberTransport(shared: Transport<MemberWire>): { raft: Transport<RaftMessage>; peer: Transport<PeerMessage> } {
  let raftHandler: (from: NodeId, message: RaftMessage) => void = () => {};
  let peerHandler: (from: NodeId, message: PeerMessage) => void = () => {};
  shared.onReceive((from, wire) => {
    if (wire.channel === 'raft') raftHandler(from, wire.message);
    else peerHandler(from, wire.message);
  });
  return {
    raft: {
      self: shared.self,
      send: (to, message) => shared.send(to, { channel: 'raft', message }),
      flush: () => shared.flush?.(),
      onReceive: (handler) => {
        raftHandler = handler;
      },
      close: () => shared.close(),
    },
    peer: {
      self: shared.self,
      send: (to, message) => shared.send(to, { channel: 'peer', message }),
      onReceive: (handler) => {
        peerHandler = handler;
      },
      close: () => shared.close(),
    },
  };
}
