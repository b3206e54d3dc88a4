import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSesFront } from './ses-front';

// The front against an upstream of the test's own (plain node:http on 127.0.0.1): no emulator.
function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('the SES front', () => {
  it('sends a GET again on a new socket when upstream drops the kept-alive one it was reused on', async () => {
    // Upstream answers the first request of each connection and drops the connection at the second,
    // without answering: what an idle keep-alive socket closed by the server looks like to the client.
    let connections = 0;
    const upstream = createServer((request, response) => {
      const socket = request.socket as typeof request.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) {
        socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ emails: [] }));
    });
    upstream.on('connection', () => {
      connections += 1;
    });
    const front = createSesFront(await listen(upstream));
    const frontPort = await listen(front);
    try {
      for (let i = 0; i < 3; i += 1) {
        const answer = await fetch(`http://127.0.0.1:${frontPort}/store`);
        expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 200, body: { emails: [] } });
      }
      // Each GET after the first met its reused socket dropped and was answered on a new one (which the next reuses).
      expect(connections).toBe(3);
    } finally {
      await close(front);
      await close(upstream);
    }
  });

  it('answers 502 when upstream drops a fresh connection: nothing to blame on a reused socket', async () => {
    const upstream = createServer((request) => request.socket.destroy());
    const front = createSesFront(await listen(upstream));
    const frontPort = await listen(front);
    try {
      const answer = await fetch(`http://127.0.0.1:${frontPort}/store`);
      expect(answer.status).toBe(502);
      expect(await answer.text()).toMatch(/^ses-local front: socket hang up/);
    } finally {
      await close(front);
      await close(upstream);
    }
  });
});
