// Receive completion events: a webhook receiver on node:http that acts only on verified requests.
//   MEMBERSHIPS_WEBHOOK_SECRET=whsec_... PORT=8080 node webhook-receiver.mjs
import { createServer } from 'node:http';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER, WebhookSignatureError } from '@memberships/sdk';

// The endpoint's secret, printed once by `memberships webhooks create` (or client.webhooks.create()).
// During a rotation, pass both: verifyWebhookSignature(body, header, [newSecret, oldSecret]).
const secret = process.env.MEMBERSHIPS_WEBHOOK_SECRET;
if (!secret) {
  console.error('Set MEMBERSHIPS_WEBHOOK_SECRET to the secret of your webhook endpoint (whsec_...).');
  process.exit(2);
}
const handled = new Set(); // event ids already acted on: a delivery may come more than once

const server = createServer(async (request, response) => {
  // The raw bytes, as received: the signature is over them, not over a re-serialised object.
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const body = Buffer.concat(chunks);

  let event;
  try {
    event = verifyWebhookSignature(body, request.headers[WEBHOOK_SIGNATURE_HEADER], secret);
  } catch (error) {
    // Forged, altered or replayed: act on nothing.
    response.writeHead(400).end(error instanceof WebhookSignatureError ? error.code : 'invalid');
    return;
  }
  // Answer quickly (within 5 s); do the slow work after answering, or in a queue.
  response.writeHead(200).end();
  if (handled.has(event.id)) return;
  handled.add(event.id);
  const job = event.data.object;
  console.log(`${event.type} ${job.id}${event.data.download_url ? ` ${event.data.download_url}` : ''}`);
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const address = server.address();
  console.error(`Receiving webhooks on http://127.0.0.1:${typeof address === 'object' && address ? address.port : '?'}/`);
});
