import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

import type { MembershipStatus } from '../exports/export-options';

// The statuses are part of the contract (export filters name them); the entity stores one of them.
export { MEMBERSHIP_STATUSES, type MembershipStatus } from '../exports/export-options';

/**
 * One membership of a user in a club. The integer id orders exports; the UUID
 * is the stable external reference (replication, other systems). Days and
 * instants are finite and the price is a number (never `infinity` or `NaN`:
 * CHECKs of migration FiniteValues1764200000000), so every export format can
 * write every value.
 */
@Entity({ name: 'memberships' })
@Index('memberships_user_id_id_idx', ['userId', 'id'])
export class Membership {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'uuid', unique: true, default: () => 'gen_random_uuid()' })
  uuid!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'club_name', type: 'text' })
  clubName!: string;

  @Column({ name: 'club_city', type: 'text', nullable: true })
  clubCity!: string | null;

  @Column({ type: 'text' })
  plan!: string;

  @Column({ type: 'text' })
  status!: MembershipStatus;

  @Column({ name: 'started_on', type: 'date' })
  startedOn!: string;

  @Column({ name: 'ends_on', type: 'date', nullable: true })
  endsOn!: string | null;

  /** Price per billing period, exact decimal, not negative, not NaN. */
  @Column({ type: 'numeric', precision: 10, scale: 2 })
  price!: string;

  /** ISO 4217 code. */
  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'auto_renew', type: 'boolean', default: true })
  autoRenew!: boolean;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
