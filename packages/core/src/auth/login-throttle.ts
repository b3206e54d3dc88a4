import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../errors';
import { normaliseEmail } from '../users/user';
import { clientAddressKey } from './client-address';

/** At most `maxAttempts` failed logins per `windowSeconds`, counted from the first one. */
export interface AttemptLimit {
  readonly maxAttempts: number;
  readonly windowSeconds: number;
}

export const DEFAULT_ACCOUNT_LIMIT: AttemptLimit = { maxAttempts: 5, windowSeconds: 15 * 60 };
export const DEFAULT_ADDRESS_LIMIT: AttemptLimit = { maxAttempts: 20, windowSeconds: 15 * 60 };

export interface LoginThrottleOptions {
  readonly client: DynamoDBClient;
  /** Physical name of the `loginAttempts` table. */
  readonly table: string;
  /** Per email address, whether or not an account has it. Default 5 per 15 minutes. */
  readonly perAccount?: AttemptLimit;
  /** Per client address (IPv4 address or IPv6 /64). Default 20 per 15 minutes. */
  readonly perAddress?: AttemptLimit;
  /** Injectable clock (tests). */
  readonly now?: () => Date;
}

export type LoginAdmission =
  | {
      readonly admitted: true;
      /**
       * The password was right: the account's failures are forgiven and this
       * attempt does not count against the address. Without this call the
       * attempt counts as a failure.
       */
      succeeded(): Promise<void>;
    }
  | {
      readonly admitted: false;
      /** Seconds until the window that blocks this login has passed. */
      readonly retryAfterSeconds: number;
      readonly limitedBy: 'account' | 'address';
    };

interface Reservation {
  readonly key: string;
  readonly windowEndsAt: number;
}

type ReserveResult =
  | { readonly reserved: true; readonly reservation: Reservation }
  | { readonly reserved: false; readonly retryAfterSeconds: number };

const MAX_RESERVE_ATTEMPTS = 4;

export class LoginThrottleConflictError extends DomainError {
  constructor(key: string) {
    super('login_throttle_conflict', `Could not count a login attempt for ${key} because of concurrent attempts.`);
  }
}

/**
 * Limits password guessing per account and per client address, with counters
 * in DynamoDB so that every API instance shares them. Each login first
 * reserves an attempt in both counters — a conditional increment that fails
 * once the limit is reached — and only then may the password be checked, so
 * a burst of parallel guesses cannot slip past the limit. A successful login
 * gives its reservations back.
 *
 * The account counter is keyed by a hash of the normalised email whether or
 * not an account has it: a locked unknown address and a locked real account
 * answer alike, and the table holds no addresses of people who are not users.
 */
export class LoginThrottle {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => Date;
  private readonly perAccount: AttemptLimit;
  private readonly perAddress: AttemptLimit;

  constructor(private readonly options: LoginThrottleOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client);
    this.now = options.now ?? (() => new Date());
    this.perAccount = options.perAccount ?? DEFAULT_ACCOUNT_LIMIT;
    this.perAddress = options.perAddress ?? DEFAULT_ADDRESS_LIMIT;
  }

  /** Asks to check a password for `email` from `address`. */
  async admit(attempt: { readonly email: string; readonly address: string }): Promise<LoginAdmission> {
    const address = await this.reserve(addressKey(attempt.address), this.perAddress);
    if (!address.reserved) return { admitted: false, retryAfterSeconds: address.retryAfterSeconds, limitedBy: 'address' };

    const account = await this.reserve(accountKey(attempt.email), this.perAccount);
    if (!account.reserved) {
      // Nothing was tried: the address gets its attempt back.
      await this.giveBack(address.reservation);
      return { admitted: false, retryAfterSeconds: account.retryAfterSeconds, limitedBy: 'account' };
    }

    return {
      admitted: true,
      succeeded: async () => {
        await Promise.all([this.forget(account.reservation), this.giveBack(address.reservation)]);
      },
    };
  }

  /** Counts one attempt in the key's current window, or starts a window; refuses once the limit is reached. */
  private async reserve(key: string, limit: AttemptLimit): Promise<ReserveResult> {
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt += 1) {
      const now = this.now().getTime();
      try {
        const { Attributes } = await this.doc.send(
          new UpdateCommand({
            TableName: this.options.table,
            Key: { id: key },
            UpdateExpression: 'ADD attempts :one',
            ConditionExpression: 'attribute_exists(id) AND windowEndsAt > :now AND attempts < :max',
            ExpressionAttributeValues: { ':one': 1, ':now': now, ':max': limit.maxAttempts },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { reserved: true, reservation: { key, windowEndsAt: Attributes?.windowEndsAt as number } };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }

      const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id: key }, ConsistentRead: true }));
      const windowEndsAt = typeof Item?.windowEndsAt === 'number' ? Item.windowEndsAt : 0;
      if (windowEndsAt > now && typeof Item?.attempts === 'number' && Item.attempts >= limit.maxAttempts) {
        return { reserved: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEndsAt - now) / 1000)) };
      }
      if (windowEndsAt > now) continue; // a window opened or changed meanwhile: count in it

      const newWindowEndsAt = now + limit.windowSeconds * 1000;
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.options.table,
            Item: { id: key, attempts: 1, windowEndsAt: newWindowEndsAt, expiresAt: Math.ceil(newWindowEndsAt / 1000) },
            ConditionExpression: 'attribute_not_exists(id) OR windowEndsAt <= :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return { reserved: true, reservation: { key, windowEndsAt: newWindowEndsAt } };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another attempt opened the window first: count in that one.
      }
    }
    throw new LoginThrottleConflictError(key);
  }

  /** Returns one reserved attempt, if its window is still the current one. */
  private async giveBack(reservation: Reservation): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: reservation.key },
          UpdateExpression: 'ADD attempts :minusOne',
          ConditionExpression: 'windowEndsAt = :window AND attempts > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':window': reservation.windowEndsAt, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Drops the counter (the right password was given), if its window is still the current one. */
  private async forget(reservation: Reservation): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.options.table,
          Key: { id: reservation.key },
          ConditionExpression: 'windowEndsAt = :window',
          ExpressionAttributeValues: { ':window': reservation.windowEndsAt },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** `account#<sha256 of the normalised email>`: the same key whether or not the account exists. */
export function accountKey(email: string): string {
  return `account#${createHash('sha256').update(normaliseEmail(email)).digest('base64url')}`;
}

export function addressKey(address: string): string {
  return `address#${clientAddressKey(address)}`;
}
