/** The etcd release whose API Trellis serves; clients see it in Status and /version. */
export const etcdApiVersion = '3.4.0';
