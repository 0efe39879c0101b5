// Who may open a channel. The dialler's hello names its protocol version, its
// cluster and itself, and the member it expects to reach; the acceptor answers
// with a welcome carrying the same facts about itself, which the dialler
// checks in turn. Whoever finds a mismatch sends a refusal whose text both
// sides log, so an operator reading either member's log sees why.

import type { ClusterId, NodeId } from '../ids.js';
import { PEER_PROTOCOL_VERSION, formatClusterId, type Handshake, type RefuseReason } from './wire.js';

export interface Refusal {
  readonly reason: RefuseReason;
  /** Written so that it reads right in both logs: "refusing saturn: <text>" and "peer jupiter refused us: <text>". */
  readonly text: string;
}

export interface LocalIdentity {
  readonly self: NodeId;
  readonly clusterId: ClusterId;
  isPeer(id: NodeId): boolean;
  wasRemoved(id: NodeId): boolean;
}

export function ownHandshake(local: LocalIdentity, to: NodeId): Handshake {
  return { protocolVersion: PEER_PROTOCOL_VERSION, clusterId: local.clusterId, from: local.self, to };
}

/** The acceptor's check of a dialler's hello; null means welcome it. */
export function checkHello(hello: Handshake, local: LocalIdentity): Refusal | null {
  return checkCommon(hello, local) ?? checkMembership(hello.from, local);
}

/** The dialler's check of the acceptor's welcome: the acceptor must be the member it meant to dial. */
export function checkWelcome(welcome: Handshake, local: LocalIdentity, expected: NodeId): Refusal | null {
  const common = checkCommon(welcome, local);
  if (common !== null) return common;
  if (welcome.from !== expected) {
    return { reason: 'misdirected', text: `${local.self} dialled ${expected} at this address but reached ${welcome.from}` };
  }
  return checkMembership(welcome.from, local);
}

function checkCommon(handshake: Handshake, local: LocalIdentity): Refusal | null {
  if (handshake.protocolVersion !== PEER_PROTOCOL_VERSION) {
    return { reason: 'version', text: `${handshake.from} speaks peer protocol version ${handshake.protocolVersion}, ${local.self} speaks ${PEER_PROTOCOL_VERSION}` };
  }
  if (handshake.clusterId !== local.clusterId) {
    return {
      reason: 'cluster',
      text: `${handshake.from} belongs to cluster ${formatClusterId(handshake.clusterId)}, not to ${local.self}'s cluster ${formatClusterId(local.clusterId)}`,
    };
  }
  if (handshake.to !== local.self) {
    return { reason: 'misdirected', text: `${handshake.from} expected to reach ${handshake.to} at this address but reached ${local.self}` };
  }
  return null;
}

function checkMembership(id: NodeId, local: LocalIdentity): Refusal | null {
  if (local.wasRemoved(id)) {
    return { reason: 'removed', text: `${id} was removed from cluster ${formatClusterId(local.clusterId)}` };
  }
  if (!local.isPeer(id)) {
    return { reason: 'unknown', text: `${id} is not a member of cluster ${formatClusterId(local.clusterId)} as ${local.self} knows it` };
  }
  return null;
}

/**
 * The tie rule of the Single-Socket Channel. Both members dial when they have
 * no channel; when two connections meet, both keep the one dialled by the
 * member whose id sorts first. Each side decides alone from the same facts,
 * so they agree without a further round trip.
 */
export const preferredDialler = (a: NodeId, b: NodeId): NodeId => (a < b ? a : b);
