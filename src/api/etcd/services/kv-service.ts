// etcd's KV service: Range, Put, DeleteRange, Txn, Compact.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  fromDeleteRangeRequest, fromPutRequest, fromRangeRequest, fromTxnRequest, toWireDeleteRangeResponse, toWireHeader, toWireTxnResponse,
} from '../kv-translation.js';
import { encodePutResponse, encodeRangeResponse } from '../response-codec.js';
import { boolField, safeIntField } from '../wire-values.js';
import { unary, type ServiceContext } from './service-context.js';

export function kvService(context: ServiceContext): UntypedServiceImplementation {
  const { backend } = context;
  return {
    Range: unary(context, 'Range', async (message) => {
      const { request, serializable } = fromRangeRequest(message);
      const { header, body } = await backend.range(request, { serializable });
      return encodeRangeResponse(header, body);
    }),
    Put: unary(context, 'Put', async (message) => {
      const { header, body } = await backend.put(fromPutRequest(message));
      return encodePutResponse(header, body);
    }),
    DeleteRange: unary(context, 'DeleteRange', async (message) => {
      const { header, body } = await backend.deleteRange(fromDeleteRangeRequest(message));
      return toWireDeleteRangeResponse(toWireHeader(header), body);
    }),
    Txn: unary(context, 'Txn', async (message) => {
      // etcd serves a read-only txn serializably only when every range in it asks to be.
      const { header, body } = await backend.txn(fromTxnRequest(message, context.maxTxnOps), { serializable: false });
      return toWireTxnResponse(toWireHeader(header), body);
    }),
    Compact: unary(context, 'Compact', async (message) => {
      const revision = safeIntField(message['revision'], 'revision');
      const { header } = await backend.compact(revision, boolField(message['physical'], 'physical'));
      return { header: toWireHeader(header) };
    }),
  };
}
