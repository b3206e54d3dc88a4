import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tokens } from '@memberships/sdk';
import { CliError } from './errors.js';
import { withFileLock } from './file-lock.js';

/** `config.json`: settings the user chose. */
export interface Settings {
  /** API used when neither --api-url nor MEMBERSHIPS_API_URL is given. */
  readonly apiUrl?: string | undefined;
}

/** `credentials.json`: the session of one API, rewritten whenever the tokens rotate. */
export interface StoredCredentials extends Tokens {
  readonly apiUrl: string;
  readonly email?: string | undefined;
}

/** On disk: snake_case and ISO dates, so the file reads well if someone opens it. */
interface CredentialsFile {
  api_url: string;
  email?: string | undefined;
  access_token: string;
  access_token_expires_at: string;
  refresh_token?: string | undefined;
  refresh_token_expires_at?: string | undefined;
  saved_at: string;
}

/**
 * The CLI's config directory: owner-only (0700), files owner-only (0600),
 * written atomically (temp file + rename) so a crash never leaves half a file.
 */
export class ConfigStore {
  readonly settingsPath: string;
  readonly credentialsPath: string;
  private readonly lockPath: string;

  constructor(readonly dir: string) {
    this.settingsPath = join(dir, 'config.json');
    this.credentialsPath = join(dir, 'credentials.json');
    this.lockPath = join(dir, 'credentials.lock');
  }

  async readSettings(): Promise<Settings> {
    const raw = await this.readJson(this.settingsPath);
    if (raw === undefined) return {};
    const apiUrl = (raw as { api_url?: unknown }).api_url;
    return { apiUrl: typeof apiUrl === 'string' && apiUrl ? apiUrl : undefined };
  }

  async writeSettings(settings: Settings): Promise<void> {
    const current = ((await this.readJson(this.settingsPath)) ?? {}) as Record<string, unknown>;
    await this.writeJson(this.settingsPath, { ...current, api_url: settings.apiUrl });
  }

  async readCredentials(): Promise<StoredCredentials | undefined> {
    const raw = (await this.readJson(this.credentialsPath)) as Partial<CredentialsFile> | undefined;
    if (!raw) return undefined;
    const expiresAt = Date.parse(raw.access_token_expires_at ?? '');
    if (!raw.api_url || !raw.access_token || Number.isNaN(expiresAt)) {
      throw new CliError('credentials_invalid', `${this.credentialsPath} is not a valid credentials file.`, {
        suggestion: 'Run: memberships login (it rewrites the file)',
      });
    }
    const refreshExpiresAt = raw.refresh_token_expires_at ? Date.parse(raw.refresh_token_expires_at) : Number.NaN;
    return {
      apiUrl: raw.api_url,
      email: raw.email,
      accessToken: raw.access_token,
      accessTokenExpiresAt: expiresAt,
      refreshToken: raw.refresh_token || undefined,
      refreshTokenExpiresAt: Number.isNaN(refreshExpiresAt) ? undefined : refreshExpiresAt,
    };
  }

  async writeCredentials(credentials: StoredCredentials): Promise<void> {
    const file: CredentialsFile = {
      api_url: credentials.apiUrl,
      email: credentials.email,
      access_token: credentials.accessToken,
      access_token_expires_at: new Date(credentials.accessTokenExpiresAt).toISOString(),
      refresh_token: credentials.refreshToken,
      refresh_token_expires_at:
        credentials.refreshTokenExpiresAt === undefined ? undefined : new Date(credentials.refreshTokenExpiresAt).toISOString(),
      saved_at: new Date().toISOString(),
    };
    await this.writeJson(this.credentialsPath, file);
  }

  async deleteCredentials(): Promise<boolean> {
    try {
      await rm(this.credentialsPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Serialises token refreshes between processes (see RefreshCoordinator in the SDK). */
  async withCredentialsLock<T>(critical: () => Promise<T>): Promise<T> {
    await this.ensureDir();
    return withFileLock(this.lockPath, critical);
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask and ignored for an existing directory.
    await chmod(this.dir, 0o700);
  }

  private async readJson(path: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError('config_invalid', `${path} is not valid JSON.`, { suggestion: `Fix or delete ${path}.` });
    }
  }

  private async writeJson(path: string, value: unknown): Promise<void> {
    await this.ensureDir();
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      // 0600 from the first byte: the file is never readable by others, not even briefly.
      await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx', flush: true });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
