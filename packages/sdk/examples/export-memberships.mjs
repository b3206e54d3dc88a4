// Export all your memberships to a CSV file.
//   MEMBERSHIPS_EMAIL=demo@example.com MEMBERSHIPS_PASSWORD=demo-password node export-memberships.mjs memberships.csv
import { createClient } from '@memberships/sdk';

const { MEMBERSHIPS_EMAIL: email, MEMBERSHIPS_PASSWORD: password } = process.env;
if (!email || !password) {
  console.error('Set MEMBERSHIPS_EMAIL and MEMBERSHIPS_PASSWORD to your account (`npm start` prints the demo one).');
  process.exit(2);
}

const client = createClient({
  baseUrl: process.env.MEMBERSHIPS_API_URL ?? 'http://127.0.0.1:3000',
  credentials: { email, password },
});

const { job } = await client.exports.create();
const done = await client.exports.wait(job.id, {
  onProgress: ({ state, progress }) => console.error(`${state}: ${progress.rows_exported} / ${progress.rows_total ?? '?'} rows`),
  timeoutMs: 10 * 60_000,
});
const file = await client.exports.download(done.id, { path: process.argv[2] ?? 'memberships.csv' });
console.log(`Saved ${done.file.rows} rows (${file.bytes} bytes, SHA-256 checked) to ${file.path}`);
