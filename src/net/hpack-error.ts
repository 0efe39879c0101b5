// The one error the HPACK and HTTP/2 parsing code throws for bad input.

/**
 * Bytes from a peer that cannot be parsed: a header block that does not
 * decode (in HTTP/2 a COMPRESSION_ERROR) or frames that break the framing
 * rules. Either is fatal to the connection, never to the process.
 */
export class HpackError extends Error {
  override readonly name = 'HpackError';
}
