// etcd's Cluster service: membership as the backend knows it.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Member, ResponseHeader } from '../backend.js';
import { EtcdError } from '../etcd-errors.js';
import { toWireHeader } from '../kv-translation.js';
import { maxPeerUrls } from '../local-membership.js';
import { boolField, int64Field, listField, stringField, toWireUint } from '../wire-values.js';
import { unary, type ServiceContext, type WireMessage } from './service-context.js';

export function toWireMember(member: Member): WireMessage {
  return {
    ID: toWireUint(member.id),
    name: member.name,
    peerURLs: [...member.peerUrls],
    clientURLs: [...member.clientUrls],
    isLearner: member.isLearner,
  };
}

function peerUrlsOf(message: WireMessage): string[] {
  const urls = listField(message['peerURLs'], 'peerURLs', maxPeerUrls).map((url) => stringField(url, 'peerURLs'));
  if (urls.length === 0) throw EtcdError.invalidArgument('member needs at least one peer URL');
  return urls;
}

function idOf(message: WireMessage): bigint {
  return BigInt.asUintN(64, int64Field(message['ID'], 'ID'));
}

export function clusterService(context: ServiceContext): UntypedServiceImplementation {
  const { backend } = context;
  // etcd's Cluster answers carry no revision in their header.
  const members = (header: ResponseHeader, list: readonly Member[]): WireMessage => ({
    header: toWireHeader({ ...header, revision: 0 }),
    members: list.map(toWireMember),
  });
  return {
    MemberList: unary(context, 'MemberList', async () => {
      const { header, body } = await backend.memberList();
      return members(header, body);
    }),
    MemberAdd: unary(context, 'MemberAdd', async (message) => {
      const { header, body } = await backend.memberAdd(peerUrlsOf(message), boolField(message['isLearner'], 'isLearner'));
      return { ...members(header, body.members), member: toWireMember(body.member) };
    }),
    MemberRemove: unary(context, 'MemberRemove', async (message) => {
      const { header, body } = await backend.memberRemove(idOf(message));
      return members(header, body);
    }),
    MemberUpdate: unary(context, 'MemberUpdate', async (message) => {
      const { header, body } = await backend.memberUpdate(idOf(message), peerUrlsOf(message));
      return members(header, body);
    }),
    MemberPromote: unary(context, 'MemberPromote', async (message) => {
      const { header, body } = await backend.memberPromote(idOf(message));
      return members(header, body);
    }),
  };
}
