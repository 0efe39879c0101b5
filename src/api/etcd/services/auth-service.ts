// etcd's Auth service as an etcd with authentication disabled and no users
// or roles answers it. Trellis keeps no user store yet, so it refuses to
// create users and roles, clearly, and every other answer follows from
// "there are none": lists are empty, lookups find nothing, and auth cannot
// be enabled because the root user does not exist.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError, etcdMessages } from '../etcd-errors.js';
import { toWireHeader } from '../kv-translation.js';
import { stringField } from '../wire-values.js';
import { unary, type ServiceContext, type WireMessage } from './service-context.js';

const noUserStore = 'trellis: users and roles are not supported yet, so authentication stays disabled';

export function authService(context: ServiceContext): UntypedServiceImplementation {
  const header = (): WireMessage => ({ header: toWireHeader(context.backend.header()) });
  const fail = (statusName: 'FailedPrecondition' | 'Unimplemented' | 'InvalidArgument', message: string) => async (): Promise<WireMessage> => {
    throw new EtcdError(statusName, message);
  };
  const userNotFound = (field: string) => async (message: WireMessage): Promise<WireMessage> => {
    stringField(message[field], field);
    throw new EtcdError('FailedPrecondition', etcdMessages.userNotFound);
  };
  const roleNotFound = async (message: WireMessage): Promise<WireMessage> => {
    stringField(message['role'], 'role');
    throw new EtcdError('FailedPrecondition', etcdMessages.roleNotFound);
  };
  const refuseAdd = (what: 'user' | 'role', field: string) => async (message: WireMessage): Promise<WireMessage> => {
    if (stringField(message[field], field) === '') throw new EtcdError('InvalidArgument', `etcdserver: ${what} name is empty`);
    throw new EtcdError('Unimplemented', noUserStore);
  };
  return {
    AuthEnable: unary(context, 'AuthEnable', fail('FailedPrecondition', etcdMessages.rootUserNotExist)),
    AuthDisable: unary(context, 'AuthDisable', async () => header()),
    AuthStatus: unary(context, 'AuthStatus', async () => ({ ...header(), enabled: false, authRevision: '0' })),
    Authenticate: unary(context, 'Authenticate', fail('FailedPrecondition', etcdMessages.authNotEnabled)),
    UserAdd: unary(context, 'UserAdd', refuseAdd('user', 'name')),
    UserGet: unary(context, 'UserGet', userNotFound('name')),
    UserList: unary(context, 'UserList', async () => ({ ...header(), users: [] })),
    UserDelete: unary(context, 'UserDelete', userNotFound('name')),
    UserChangePassword: unary(context, 'UserChangePassword', userNotFound('name')),
    UserGrantRole: unary(context, 'UserGrantRole', userNotFound('user')),
    UserRevokeRole: unary(context, 'UserRevokeRole', userNotFound('name')),
    RoleAdd: unary(context, 'RoleAdd', refuseAdd('role', 'name')),
    RoleGet: unary(context, 'RoleGet', roleNotFound),
    RoleList: unary(context, 'RoleList', async () => ({ ...header(), roles: [] })),
    RoleDelete: unary(context, 'RoleDelete', roleNotFound),
    RoleGrantPermission: unary(context, 'RoleGrantPermission', async (message) => {
      stringField(message['name'], 'name');
      throw new EtcdError('FailedPrecondition', etcdMessages.roleNotFound);
    }),
    RoleRevokePermission: unary(context, 'RoleRevokePermission', roleNotFound),
  };
}
