// Which :authority values Node's HTTP/2 server takes, and how to mend one it
// would refuse. nghttp2, under Node's http2 module, accepts only the octets
// RFC 3986 allows in an authority (unreserved, sub-delims, '%', ':', '@',
// '[' and ']') and resets the stream with PROTOCOL_ERROR otherwise. etcd's Go
// client sends its endpoint URL, scheme and all ("http://127.0.0.1:2379"),
// as the authority of its Maintenance calls; etcd itself ignores it.

const allowed = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%:@[]") allowed[c.charCodeAt(0)] = 1;

/** Whether nghttp2 accepts this :authority (a byte string). */
export function isAcceptableAuthority(authority: string): boolean {
  if (authority.length === 0) return false;
  for (let i = 0; i < authority.length; i++) {
    const code = authority.charCodeAt(i);
    if (code > 0xff || allowed[code] === 0) return false;
  }
  return true;
}

/**
 * The host:port a refused authority meant: the scheme and anything from the
 * first '/', '?' or '#' on are dropped ("http://127.0.0.1:2379/" becomes
 * "127.0.0.1:2379"). When nothing acceptable is left, the fallback (the
 * listener's own address) stands in: servers do not route on it.
 */
export function repairAuthority(authority: string, fallback: string): string {
  if (isAcceptableAuthority(authority)) return authority;
  const withoutScheme = authority.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const hostPort = withoutScheme.split(/[/?#]/, 1)[0]!;
  return isAcceptableAuthority(hostPort) ? hostPort : fallback;
}
