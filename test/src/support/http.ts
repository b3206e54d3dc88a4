import { waitFor } from '@memberships/local-platform';

/** Small HTTP helpers for driving the API the way a user's script would. */
export async function login(apiUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${apiUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface JobBody {
  id: string;
  state: string;
  trigger: string;
  attempts: number;
  progress: { rows_exported: number; rows_total: number | null };
  file?: { rows: number; bytes: number; sha256: string; content_type: string };
  delivery?: { method: 'attachment' | 'link'; to: string; emailed_at: string };
  error?: { code: string; message: string };
}

export async function getJson<T>(url: string, token: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls the job until it is final; fails the test with the last state seen on timeout. */
export function waitForFinalJob(apiUrl: string, location: string, token: string, timeoutMs = 60_000): Promise<JobBody> {
  let job: JobBody | undefined;
  return waitFor(
    `job ${location} to be final`,
    async () => {
      job = (await getJson<JobBody>(new URL(location, apiUrl).toString(), token)).body;
      return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
    },
    { timeoutMs, intervalMs: 250, seen: () => `last seen: ${JSON.stringify(job)}` },
  );
}
