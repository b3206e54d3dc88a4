import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  readonly port: number;
  /** Connections forwarded so far. */
  readonly connections: number;
  /** Simulates an outage: destroys every open connection and refuses new ones. */
  down(): void;
  /** Ends the outage: new connections are forwarded again. */
  up(): void;
  /**
   * Arms an outage that starts by itself once `bytes` more bytes have come
   * from the server, so a test can cut a connection in the middle of a
   * stream, wherever the client is at that moment. Resolves when it happened.
   */
  downAfterServerBytes(bytes: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder between a client and a real server, for outage tests: the
 * client talks to the proxy exactly as to the server (same wire protocol)
 * until `down()` cuts every connection mid-stream, the way a database
 * restart or a network partition does.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let isDown = false;
  let forwarded = 0;
  let trigger: { remaining: number; fire: () => void } | undefined;

  const down = () => {
    isDown = true;
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  const server: Server = createServer((client) => {
    if (isDown) {
      // Reset rather than a polite close, like a host that refuses connections.
      client.resetAndDestroy();
      return;
    }
    forwarded += 1;
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    upstream.on('data', (chunk: Buffer) => {
      if (!trigger) return;
      trigger.remaining -= chunk.length;
      if (trigger.remaining <= 0) {
        const { fire } = trigger;
        trigger = undefined;
        down();
        fire();
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  return {
    port: address.port,
    get connections() {
      return forwarded;
    },
    down,
    up() {
      isDown = false;
    },
    downAfterServerBytes(bytes: number) {
      return new Promise<void>((resolve) => {
        trigger = { remaining: bytes, fire: resolve };
      });
    },
    close() {
      isDown = true;
      for (const socket of open) socket.destroy();
      open.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
