import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { REFRESH_TOKEN_TTL_DAYS } from '../resources';
import { generateRefreshToken, hashRefreshToken, isRefreshTokenShaped, type FamilyRevocationReason } from './refresh-tokens';

export interface RefreshTokenStoreOptions {
  readonly client: DynamoDBClient;
  /** Physical name of the `refreshTokens` table. */
  readonly table: string;
  /** Lifetime of each refresh token, from its issue. Default REFRESH_TOKEN_TTL_DAYS (30 days). */
  readonly ttlSeconds?: number;
  /** Injectable clock (tests). */
  readonly now?: () => Date;
}

/** A refresh token as handed to the client; the store keeps only its hash. */
export interface IssuedRefreshToken {
  /** The opaque token; returned once, never stored. */
  readonly token: string;
  readonly userId: string;
  readonly familyId: string;
  /** When it stops working: at least `expiresInSeconds` after it was issued. */
  readonly expiresAt: Date;
  /** Its lifetime from now (the store's TTL), for `refresh_expires_in`. */
  readonly expiresInSeconds: number;
}

export type RotationFailure =
  /** Not a token we issued, or its record has been deleted after expiry. */
  | 'unknown'
  | 'expired'
  /** Its family was revoked (logout, reuse, deleted user). */
  | 'revoked'
  /** It had already been rotated: presenting it again revoked its family. */
  | 'reused';

export type RotationResult =
  | { readonly ok: true; readonly token: IssuedRefreshToken }
  | { readonly ok: false; readonly reason: RotationFailure; readonly userId?: string; readonly familyId?: string };

interface TokenItem {
  readonly id: string;
  readonly familyId: string;
  readonly userId: string;
  readonly state: 'active' | 'rotated';
  readonly issuedAt: string;
  /** Epoch seconds; also the DynamoDB TTL attribute. */
  readonly expiresAt: number;
  readonly rotatedAt?: string;
}

const tokenKey = (hash: string) => `token#${hash}`;
const familyKey = (familyId: string) => `family#${familyId}`;

/** Rotations retried when DynamoDB reports a conflicting concurrent transaction. */
const MAX_ROTATION_ATTEMPTS = 3;

/**
 * Refresh tokens in DynamoDB, rotated on every use. Each login starts a token
 * family; every refresh marks the presented token `rotated` and adds its
 * successor to the family, in one transaction that also requires the family
 * not to be revoked. A rotated token presented again means two parties hold
 * the family (one of them stole a token), so the whole family is revoked and
 * its newest token stops working too. All of it is conditional writes: any
 * API instance may serve any refresh.
 */
export class RefreshTokenStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => Date;
  private readonly ttlSeconds: number;

  constructor(private readonly options: RefreshTokenStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.now = options.now ?? (() => new Date());
    this.ttlSeconds = options.ttlSeconds ?? REFRESH_TOKEN_TTL_DAYS * 86_400;
  }

  /** Starts a new family (a login) with its first token. */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    const familyId = randomUUID();
    const { token, item } = this.newToken(userId, familyId);
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.options.table,
              Item: {
                id: familyKey(familyId),
                userId,
                state: 'active',
                createdAt: item.issuedAt,
                expiresAt: item.expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(id)',
            },
          },
          { Put: { TableName: this.options.table, Item: item, ConditionExpression: 'attribute_not_exists(id)' } },
        ],
      }),
    );
    return { token, userId, familyId, expiresAt: new Date(item.expiresAt * 1000), expiresInSeconds: this.ttlSeconds };
  }

  /**
   * Exchanges `presented` for its successor. On `reused` the family has been
   * revoked by this call; the caller only reports the failure.
   */
  async rotate(presented: string): Promise<RotationResult> {
    if (!isRefreshTokenShaped(presented)) return { ok: false, reason: 'unknown' };
    const presentedKey = tokenKey(hashRefreshToken(presented));

    for (let attempt = 1; ; attempt += 1) {
      const current = await this.getToken(presentedKey);
      if (!current) return { ok: false, reason: 'unknown' };
      const who = { userId: current.userId, familyId: current.familyId };
      if (current.state === 'rotated') {
        await this.revokeFamily(current.familyId, 'reuse_detected');
        return { ok: false, reason: 'reused', ...who };
      }
      const nowSeconds = this.nowSeconds();
      if (current.expiresAt <= nowSeconds) return { ok: false, reason: 'expired', ...who };

      const { token, item } = this.newToken(current.userId, current.familyId);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.options.table,
                  Key: { id: presentedKey },
                  UpdateExpression: 'SET #state = :rotated, rotatedAt = :now',
                  ConditionExpression: 'attribute_exists(id) AND #state = :active AND expiresAt > :nowSeconds',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: {
                    ':rotated': 'rotated',
                    ':active': 'active',
                    ':now': item.issuedAt,
                    ':nowSeconds': nowSeconds,
                  },
                },
              },
              {
                // The family lives as long as its newest token.
                Update: {
                  TableName: this.options.table,
                  Key: { id: familyKey(current.familyId) },
                  UpdateExpression: 'SET expiresAt = :expiresAt, lastRotatedAt = :now',
                  ConditionExpression: 'attribute_exists(id) AND #state = :active',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: { ':expiresAt': item.expiresAt, ':now': item.issuedAt, ':active': 'active' },
                },
              },
              { Put: { TableName: this.options.table, Item: item, ConditionExpression: 'attribute_not_exists(id)' } },
            ],
          }),
        );
        const issued = { token, userId: current.userId, familyId: current.familyId, expiresAt: new Date(item.expiresAt * 1000) };
        return { ok: true, token: { ...issued, expiresInSeconds: this.ttlSeconds } };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [tokenReason, familyReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (familyReason === 'ConditionalCheckFailed') return { ok: false, reason: 'revoked', ...who };
        // The token changed since it was read (rotated by a concurrent request,
        // or it just expired), or another transaction touched these items:
        // read again and decide from what is stored now.
        const retryable =
          tokenReason === 'ConditionalCheckFailed' || tokenReason === 'TransactionConflict' || familyReason === 'TransactionConflict';
        if (!retryable || attempt >= MAX_ROTATION_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Revokes the family `presented` belongs to (logout). Resolves false when
   * the token is unknown, so the caller can stay silent about it.
   */
  async revokeFamilyOf(presented: string, reason: FamilyRevocationReason = 'logout'): Promise<boolean> {
    if (!isRefreshTokenShaped(presented)) return false;
    const current = await this.getToken(tokenKey(hashRefreshToken(presented)));
    if (!current) return false;
    await this.revokeFamily(current.familyId, reason);
    return true;
  }

  /** Revokes a family; its tokens stop working at once. A family revoked earlier keeps its first reason. */
  async revokeFamily(familyId: string, reason: FamilyRevocationReason): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: familyKey(familyId) },
          UpdateExpression: 'SET #state = :revoked, revokedAt = :now, revokedReason = :reason',
          ConditionExpression: 'attribute_exists(id) AND #state = :active',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':active': 'active', ':now': this.now().toISOString(), ':reason': reason },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The family record (state, revocation reason), for operators and tests. */
  async getFamily(
    familyId: string,
  ): Promise<{ userId: string; state: 'active' | 'revoked'; revokedReason?: FamilyRevocationReason; expiresAt: number } | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.options.table, Key: { id: familyKey(familyId) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      userId: Item.userId as string,
      state: Item.state as 'active' | 'revoked',
      expiresAt: Item.expiresAt as number,
      ...(Item.revokedReason ? { revokedReason: Item.revokedReason as FamilyRevocationReason } : {}),
    };
  }

  private async getToken(key: string): Promise<TokenItem | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id: key }, ConsistentRead: true }));
    return Item && typeof Item.familyId === 'string' ? (Item as TokenItem) : undefined;
  }

  private newToken(userId: string, familyId: string): { token: string; item: TokenItem } {
    const now = this.now();
    const token = generateRefreshToken();
    return {
      token,
      item: {
        id: tokenKey(hashRefreshToken(token)),
        familyId,
        userId,
        state: 'active',
        issuedAt: now.toISOString(),
        // Rounded up: the token never expires before the lifetime it was announced with.
        expiresAt: Math.ceil(now.getTime() / 1000) + this.ttlSeconds,
      },
    };
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
