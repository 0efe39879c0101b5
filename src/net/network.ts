// The byte streams a peer transport runs on, as an interface, so the channel
// logic (handshake, heartbeats, queues, batching) stays free of sockets and
// the real adapter (src/runtime/node/tcp-transport.ts) holds all the I/O.

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export const formatAddress = (address: PeerAddress): string => `${address.host}:${address.port}`;

/** What a connection tells its owner. After the owner calls close(), nothing more is reported. */
export interface ConnectionHandlers {
  /** A dialled connection is connected (accepted connections are open from the start and never report this). */
  opened(): void;
  data(chunk: Uint8Array): void;
  /** Reported once when the other side, the network or an error ends the connection. */
  closed(reason: string): void;
}

/** One ordered byte stream, e.g. a TCP socket. */
export interface Connection {
  /** "127.0.0.1:41234 -> 127.0.0.1:7001" (local -> remote), for logs and statistics. */
  readonly label: string;
  /** Must be called before control returns to the event loop after dial or accept. */
  setHandlers(handlers: ConnectionHandlers): void;
  /** Queues bytes; onFlushed runs once they have left this process (not if the connection closes first). */
  write(bytes: Uint8Array, onFlushed: () => void): void;
  /** Bytes written but not yet handed to the operating system. */
  bufferedBytes(): number;
  /** Closes at once, discarding unsent bytes. Idempotent. */
  close(): void;
  /** Closes after what was written is sent (bounded by a short linger). Idempotent. */
  end(): void;
}

export interface Listener {
  readonly address: PeerAddress;
  close(): void;
}

export interface Network {
  /** Rejects with a message naming the address if it cannot listen there. */
  listen(address: PeerAddress, accepted: (connection: Connection) => void): Promise<Listener>;
  dial(address: PeerAddress): Connection;
  /**
   * Runs callback once the events of the current event-loop turn are handled,
   * before the process waits for more I/O: the moment to put everything sent
   * in this turn into one write (Request Batch on the wire).
   */
  afterTurn(callback: () => void): void;
}
