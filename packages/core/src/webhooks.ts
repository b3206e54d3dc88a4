/**
 * Completion events' webhooks: the store of endpoints and deliveries (loads
 * the AWS SDK's DynamoDB client, not TypeORM), the rules of the URLs they may
 * be sent to, and their signature. The shapes they share with every other
 * part (event types, ids, queue messages) are in `/contract`.
 */
export * from './webhooks/address-policy';
export * from './webhooks/signature';
export * from './webhooks/webhook-store';
