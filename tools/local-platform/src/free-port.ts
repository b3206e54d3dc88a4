import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that is free right now. Only for programs that
 * cannot bind port 0 and report back (PostgreSQL): another process may take
 * it before they bind, so callers retry on failure.
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}
