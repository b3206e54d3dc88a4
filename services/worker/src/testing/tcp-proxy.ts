import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  readonly port: number;
  /** Connections forwarded so far. */
  readonly connections: number;
  /** Simulates an outage: destroys every open connection and refuses new ones. */
  down(): void;
  /**
   * Simulates a dependency that is stopped (SIGSTOP, a frozen VM): new
   * connections are accepted and never answered, and open ones stop
   * forwarding in both directions. `up()` drops those and forwards again.
   */
  hang(): void;
  /** Ends the outage or hang: new connections are forwarded again. */
  up(): void;
  /**
   * Arms an outage that starts by itself once `bytes` more bytes have come
   * from the server, so a test can cut a connection in the middle of a
   * stream, wherever the client is at that moment. Resolves when it happened.
   */
  downAfterServerBytes(bytes: number): Promise<void>;
  /** Like downAfterServerBytes, but the server then hangs (see `hang()`). */
  hangAfterServerBytes(bytes: number): Promise<void>;
  /**
   * Resolves once `bytes` more bytes have come from the server, changing
   * nothing: a test can act on another dependency at that moment (e.g. cut
   * DynamoDB the moment SES answers).
   */
  afterServerBytes(bytes: number): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Passes the server's bytes on at about this rate (the client's go through
   * unpaced): a slow network, with backpressure reaching the server's
   * stream. Default: as fast as they come.
   */
  readonly serverBytesPerSecond?: number;
}

/**
 * A TCP forwarder between a client and a real server, for outage tests: the
 * client talks to the proxy exactly as to the server (same wire protocol)
 * until `down()` cuts every connection mid-stream, the way a database
 * restart or a network partition does.
 */
export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let isDown = false;
  let isHung = false;
  /** Sockets held open without forwarding while hung. */
  const held = new Set<Socket>();
  let forwarded = 0;
  let trigger: { remaining: number; action: 'down' | 'hang' | 'none'; fire: () => void } | undefined;

  const hang = () => {
    isHung = true;
    for (const socket of open) {
      socket.unpipe();
      socket.removeAllListeners('data');
      socket.on('data', () => undefined);
      held.add(socket);
    }
    open.clear();
  };

  const down = () => {
    isDown = true;
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  const server: Server = createServer((client) => {
    if (isHung) {
      // Accepted, read and never answered.
      held.add(client);
      client.on('error', () => held.delete(client));
      client.on('close', () => held.delete(client));
      client.resume();
      return;
    }
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
        const { fire, action } = trigger;
        trigger = undefined;
        if (action === 'down') down();
        else if (action === 'hang') hang();
        fire();
      }
    });
    client.pipe(upstream);
    const pace = options.serverBytesPerSecond;
    if (pace === undefined) {
      upstream.pipe(client);
    } else {
      upstream.on('data', (chunk: Buffer) => {
        upstream.pause();
        client.write(chunk);
        setTimeout(() => upstream.resume(), Math.ceil((chunk.length / pace) * 1000));
      });
    }
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
    hang,
    up() {
      isDown = false;
      if (isHung) {
        isHung = false;
        for (const socket of held) socket.resetAndDestroy();
        held.clear();
      }
    },
    downAfterServerBytes(bytes: number) {
      return new Promise<void>((resolve) => {
        trigger = { remaining: bytes, action: 'down', fire: resolve };
      });
    },
    hangAfterServerBytes(bytes: number) {
      return new Promise<void>((resolve) => {
        trigger = { remaining: bytes, action: 'hang', fire: resolve };
      });
    },
    afterServerBytes(bytes: number) {
      return new Promise<void>((resolve) => {
        trigger = { remaining: bytes, action: 'none', fire: resolve };
      });
    },
    close() {
      isDown = true;
      isHung = false;
      for (const socket of [...open, ...held]) socket.destroy();
      open.clear();
      held.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
