import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserStore, verifyPassword } from '@memberships/core/dynamodb';
import { dynamoDbClient } from './aws-clients';
import { DEMO_EMAIL, DEMO_MEMBERSHIPS, DEMO_PASSWORD, ensureDemoData } from './demo-data';
import { createTestDatabase, type TestDatabase } from './postgres';
import { readMemberships, TRICKY_MEMBERSHIPS } from './seed';
import { provisionTestResources } from './testing';

describe('ensureDemoData', () => {
  let localDir: string;
  let database: TestDatabase;

  beforeAll(async () => {
    localDir = await mkdtemp(path.join(tmpdir(), 'local-platform-demo-'));
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
    await rm(localDir, { recursive: true, force: true });
  });

  it('creates the demo user with memberships, and carries them over to the user of the next start', async () => {
    // Each start has a fresh in-memory DynamoDB: here, a fresh users table per "start".
    const firstStart = await provisionTestResources();
    const first = await ensureDemoData({
      aws: firstStart.aws,
      usersTable: firstStart.names.tables.users,
      databaseUrl: database.url,
      localDir,
    });
    expect(first).toMatchObject({ seeded: true, memberships: DEMO_MEMBERSHIPS + TRICKY_MEMBERSHIPS.length });

    const client = dynamoDbClient(firstStart.aws);
    try {
      const user = await new UserStore({ client, table: firstStart.names.tables.users }).findByEmail(DEMO_EMAIL);
      expect(user?.id).toBe(first.userId);
      await expect(verifyPassword(DEMO_PASSWORD, user!.passwordHash)).resolves.toBe(true);
    } finally {
      client.destroy();
    }

    // Same start again (the user still exists): nothing changes.
    await expect(
      ensureDemoData({ aws: firstStart.aws, usersTable: firstStart.names.tables.users, databaseUrl: database.url, localDir }),
    ).resolves.toEqual({ ...first, seeded: false });

    const secondStart = await provisionTestResources();
    const second = await ensureDemoData({
      aws: secondStart.aws,
      usersTable: secondStart.names.tables.users,
      databaseUrl: database.url,
      localDir,
    });
    expect(second.userId).not.toBe(first.userId);
    expect(second).toMatchObject({ seeded: false, memberships: first.memberships });
    await expect(readMemberships(database.url, first.userId, { limit: 1 })).resolves.toEqual([]);
  });

  it('does not take memberships from another database', async () => {
    const ownDir = await mkdtemp(path.join(tmpdir(), 'local-platform-demo-'));
    const otherDatabase = await createTestDatabase();
    try {
      const firstStart = await provisionTestResources();
      const first = await ensureDemoData({
        aws: firstStart.aws,
        usersTable: firstStart.names.tables.users,
        databaseUrl: database.url,
        localDir: ownDir,
      });
      const before = await readMemberships(database.url, first.userId);

      const secondStart = await provisionTestResources();
      const second = await ensureDemoData({
        aws: secondStart.aws,
        usersTable: secondStart.names.tables.users,
        databaseUrl: otherDatabase.url,
        localDir: ownDir,
      });
      expect(second).toMatchObject({ seeded: true, memberships: DEMO_MEMBERSHIPS + TRICKY_MEMBERSHIPS.length });
      await expect(readMemberships(database.url, first.userId)).resolves.toEqual(before);
    } finally {
      await otherDatabase.drop();
      await rm(ownDir, { recursive: true, force: true });
    }
  });
});
