import { createHash } from 'node:crypto';
import {
  startTestPlatform,
  type TestPlatform,
  attachmentContent,
  createUser,
  isAddressedTo,
  readMemberships,
  seedMemberships,
  waitForEmails,
  type CreatedUser,
  EXPECTED_HEADER,
  expectedRow,
  parseCsv,
} from '@memberships/local-platform';
import { login, waitForFinalJob, type JobBody } from './support/http';

// A user asks for their export over HTTP and finds it in their inbox: every
// production component in the path (API, DynamoDB, SQS, worker, PostgreSQL,
// S3, SES), each a real process or emulator spoken to over its wire protocol.
describe('export by email, end to end', () => {
  const ATTACHMENT_LIMIT_BYTES = 64 * 1024;
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 0, workerEnv: { ATTACHMENT_LIMIT_BYTES: String(ATTACHMENT_LIMIT_BYTES) } });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  async function newMember(rows: number): Promise<CreatedUser> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    await seedMemberships(platform.database.url, user.id, rows, { tricky: true, seed: rows });
    return user;
  }

  async function requestExport(user: CreatedUser): Promise<{ token: string; job: JobBody; location: string }> {
    const token = await login(platform.apiUrl, user.email, user.password);
    const response = await fetch(`${platform.apiUrl}/v1/exports`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/^\/v1\/exports\/[\w-]+$/);
    const job = await waitForFinalJob(platform.apiUrl, location, token);
    return { token, job, location };
  }

  async function expectFileMatchesDatabase(user: CreatedUser, file: Buffer): Promise<void> {
    const stored = await readMemberships(platform.database.url, user.id);
    const [header, ...rows] = parseCsv(file);
    expect(header).toEqual(EXPECTED_HEADER);
    expect(rows).toHaveLength(stored.length);
    expect(rows).toEqual(stored.map(expectedRow));
  }

  /** The file as `GET /v1/exports/{id}/download` hands it out, with the Content-Disposition it downloads under. */
  async function downloadThroughApi(location: string, token: string): Promise<{ body: Buffer; disposition: string | null }> {
    const redirect = await fetch(`${platform.apiUrl}${location}/download`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    const url = redirect.headers.get('location')!;
    const file = await fetch(url);
    expect(file.status).toBe(200);
    // What the API asks S3 to answer with is what S3 answers with.
    const disposition = new URL(url).searchParams.get('response-content-disposition');
    expect(file.headers.get('content-disposition')).toBe(disposition);
    return { body: Buffer.from(await file.arrayBuffer()), disposition };
  }

  /** One name for the file, wherever the user gets it: the day it was requested and the export's id. */
  function expectExportFileName(fileName: string | undefined, job: JobBody): string {
    expect(fileName).toMatch(new RegExp(`^memberships-\\d{4}-\\d{2}-\\d{2}-${job.id}\\.csv$`));
    return fileName!;
  }

  const attachmentDisposition = (fileName: string) => `attachment; filename="${fileName}"; filename*=UTF-8''${fileName}`;

  it('emails a small export as an attachment that matches the rows in PostgreSQL exactly', async () => {
    const user = await newMember(40);
    const { token, job, location } = await requestExport(user);

    expect(job).toMatchObject({ state: 'succeeded', trigger: 'api', delivery: { method: 'attachment', to: user.email } });
    const [email] = await waitForEmails(platform.sesEndpoint, (e) => isAddressedTo(e, user.email), { count: 1 });
    expect(email!.attachments).toHaveLength(1);
    const attachment = attachmentContent(email!.attachments[0]!);
    const fileName = expectExportFileName(email!.attachments[0]!.filename, job);
    expect(attachment.length).toBeLessThanOrEqual(ATTACHMENT_LIMIT_BYTES);

    await expectFileMatchesDatabase(user, attachment);
    expect(job.file).toMatchObject({ bytes: attachment.length, sha256: createHash('sha256').update(attachment).digest('hex') });
    expect(job.file!.rows).toBe(job.progress.rows_exported);
    // The same file is also available through the API, under the same name.
    const download = await downloadThroughApi(location, token);
    expect(download.body.equals(attachment)).toBe(true);
    expect(download.disposition).toBe(attachmentDisposition(fileName));
  });

  it('emails a download link instead when the file is over the attachment limit, and the link downloads the file', async () => {
    const user = await newMember(3000);
    const { token, job, location } = await requestExport(user);

    expect(job).toMatchObject({ state: 'succeeded', delivery: { method: 'link', to: user.email } });
    expect(job.file!.bytes).toBeGreaterThan(ATTACHMENT_LIMIT_BYTES);
    const [email] = await waitForEmails(platform.sesEndpoint, (e) => isAddressedTo(e, user.email), { count: 1 });
    expect(email!.attachments).toHaveLength(0);
    const link = /https?:\/\/\S+/.exec(email!.body.text ?? '')?.[0];
    expect(link).toBeDefined();
    const fileName = expectExportFileName(/^File: (\S+)$/m.exec(email!.body.text ?? '')?.[1], job);

    const response = await fetch(link!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(attachmentDisposition(fileName));
    const file = Buffer.from(await response.arrayBuffer());
    await expectFileMatchesDatabase(user, file);
    expect(createHash('sha256').update(file).digest('hex')).toBe(job.file!.sha256);
    // The API hands out the same file under the same name as the email's link.
    const download = await downloadThroughApi(location, token);
    expect(download.body.equals(file)).toBe(true);
    expect(download.disposition).toBe(attachmentDisposition(fileName));
  });

  it('does not let one user see another user’s export', async () => {
    const owner = await newMember(5);
    const other = await newMember(5);
    const { location } = await requestExport(owner);
    const otherToken = await login(platform.apiUrl, other.email, other.password);
    for (const path of [location, `${location}/download`]) {
      const response = await fetch(`${platform.apiUrl}${path}`, { headers: { authorization: `Bearer ${otherToken}` }, redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
