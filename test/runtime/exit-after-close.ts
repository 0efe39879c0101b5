// Run as a child process by tcp-transport.test.ts: two members exchange a
// count, close, and then this script simply ends. If anything the transport
// started (a timer, a socket, the listener) outlived close(), the process
// would hang instead of exiting.
import { allConnected, closeAll, jupiter, saturn, startCluster, waitFor } from '../net/cast.js';

const members = await startCluster([jupiter, saturn]);
await allConnected(members);
members[0]!.transport.send(saturn, { city: 'boston', count: 1 });
await waitFor('the count', () => members[1]!.received.length === 1);
closeAll(members);
closeAll(members);
console.log('closed');
