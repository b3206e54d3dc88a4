import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../errors';
import { hashPassword } from './passwords';
import { DEFAULT_SCOPES, normaliseEmail, type Scope, type User } from './user';

export class EmailTakenError extends DomainError {
  constructor(email: string) {
    super('email_taken', `A user with the email ${email} already exists.`);
  }
}

export interface CreateUserInput {
  readonly email: string;
  readonly password: string;
  readonly scopes?: readonly Scope[];
  readonly profile?: Record<string, unknown>;
}

const emailKey = (email: string) => `email#${email}`;

/**
 * Users in DynamoDB. The user item is keyed by id; a second item keyed by
 * `email#<address>` claims the address. Both are written in one transaction,
 * which is what makes the email unique.
 */
export class UserStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly options: { client: DynamoDBClient; table: string; now?: () => Date }) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(input: CreateUserInput): Promise<User> {
    const email = normaliseEmail(input.email);
    const user: User = {
      id: randomUUID(),
      email,
      passwordHash: await hashPassword(input.password),
      scopes: [...(input.scopes ?? DEFAULT_SCOPES)],
      profile: input.profile ?? {},
      createdAt: (this.options.now?.() ?? new Date()).toISOString(),
    };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.options.table,
                Item: { id: emailKey(email), userId: user.id },
                ConditionExpression: 'attribute_not_exists(id)',
              },
            },
            { Put: { TableName: this.options.table, Item: { ...user }, ConditionExpression: 'attribute_not_exists(id)' } },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        throw new EmailTakenError(email);
      }
      throw error;
    }
    return user;
  }

  async get(id: string): Promise<User | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id } }));
    return Item && typeof Item.email === 'string' ? (Item as User) : undefined;
  }

  /** Turns emailed download links on or off for the account; the user as written, or undefined when there is none. */
  async setEmailedDownloadLinks(id: string, enabled: boolean): Promise<User | undefined> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id },
          UpdateExpression: 'SET emailedDownloadLinks = :enabled',
          ConditionExpression: 'attribute_exists(email)',
          ExpressionAttributeValues: { ':enabled': enabled },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as User | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id: emailKey(normaliseEmail(email)) } }));
    return typeof Item?.userId === 'string' ? this.get(Item.userId) : undefined;
  }
}
