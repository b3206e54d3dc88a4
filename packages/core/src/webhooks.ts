/**
 * Completion events' webhooks: the store of endpoints and deliveries (loads
 * the AWS SDK's DynamoDB client, not TypeORM). The shapes they share with
 * every other part (event types, ids, queue messages) are in `/contract`.
 */
export * from './webhooks/webhook-store';
export * from './webhooks/address-policy';
export * from './webhooks/signature';
