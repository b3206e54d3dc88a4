import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { READINESS_FAILURE_LOG_PATTERN } from './observability';
import { API_LIVENESS_PATH, API_READINESS_PATH, apiHealthCheckScript } from './api-service';

const run = promisify(execFile);

/**
 * The API's container health check, run with node as ECS runs it
 * (`node -e <script>`) against a stand-in API on a loopback port: it asks
 * /readyz and exits by /healthz alone.
 */
describe('API container health check', () => {
  let server: Server;
  let port: number;
  let answers: Record<string, number | 'hang'>;
  const asked: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      asked.push(request.url ?? '');
      const answer = answers[request.url ?? ''] ?? 404;
      if (answer !== 'hang') response.writeHead(answer).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    asked.length = 0;
  });

  async function exitCode(): Promise<number> {
    try {
      await run(process.execPath, ['-e', apiHealthCheckScript(port)], { timeout: 5_000 });
      return 0;
    } catch (error) {
      return (error as { code: number }).code;
    }
  }

  it('passes while the task is alive although a dependency is down, having asked readiness first', async () => {
    answers = { [API_READINESS_PATH]: 503, [API_LIVENESS_PATH]: 200 };
    expect(await exitCode()).toBe(0);
    expect(asked).toEqual([API_READINESS_PATH, API_LIVENESS_PATH]);
  });

  it('passes within the ECS timeout (5 s) when readiness hangs', async () => {
    answers = { [API_READINESS_PATH]: 'hang', [API_LIVENESS_PATH]: 200 };
    expect(await exitCode()).toBe(0);
  });

  it('fails when liveness fails, or nothing listens', async () => {
    answers = { [API_READINESS_PATH]: 200, [API_LIVENESS_PATH]: 500 };
    expect(await exitCode()).toBe(1);
    const closed = apiHealthCheckScript(1);
    await expect(run(process.execPath, ['-e', closed])).rejects.toMatchObject({ code: 1 });
  });

  it('asks the routes the API serves, and the API logs the line the readiness alarm counts', () => {
    const routes = readFileSync(
      path.join(__dirname, '..', '..', '..', '..', 'services', 'api', 'src', 'routes', 'health', 'index.ts'),
      'utf8',
    );
    expect(routes).toContain(`app.get('${API_LIVENESS_PATH}'`);
    expect(routes).toContain(`app.get('${API_READINESS_PATH}'`);
    const message = /\$\.msg = "([^"]+)"/.exec(READINESS_FAILURE_LOG_PATTERN)![1]!;
    expect(routes).toContain(`'${message}'`);
  });
});
