import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMemberships1764000000000 implements MigrationInterface {
  name = 'CreateMemberships1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE memberships (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        uuid        uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id     uuid NOT NULL,
        club_name   text NOT NULL,
        club_city   text,
        plan        text NOT NULL,
        status      text NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'expired')),
        started_on  date NOT NULL,
        ends_on     date,
        price       numeric(10, 2) NOT NULL CHECK (price >= 0),
        currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        auto_renew  boolean NOT NULL DEFAULT true,
        notes       text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT memberships_uuid_key UNIQUE (uuid),
        CONSTRAINT memberships_dates_check CHECK (ends_on IS NULL OR ends_on >= started_on)
      )`);
    // Serves the export query: all rows of one user in id order, read in index order.
    await queryRunner.query(`CREATE INDEX memberships_user_id_id_idx ON memberships (user_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE memberships`);
  }
}
