/**
 * AccessDenied the way each AWS service answers it on its own wire protocol,
 * so the SDK raises the error production code would see (name, status,
 * message) and retry logic treats it as AWS's non-retryable client error.
 */

export interface DenialResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function accessDenied(service: string, message: string, requestId: string): DenialResponse {
  const common = { 'x-amzn-requestid': requestId };
  switch (service) {
    case 's3':
      // S3: REST-XML, 403 with Code AccessDenied.
      return {
        status: 403,
        headers: { ...common, 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case 'dynamodb':
      // DynamoDB: JSON 1.0, 400 with the coral AccessDeniedException type.
      return {
        status: 400,
        headers: { ...common, 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }),
      };
    case 'sqs':
      // SQS JSON protocol: 400, the query-compatible code in x-amzn-query-error.
      return {
        status: 400,
        headers: { ...common, 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' },
        body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }),
      };
    case 'secretsmanager':
    case 'events':
      // AWS JSON 1.1 services: 400 with the bare error type.
      return {
        status: 400,
        headers: { ...common, 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ __type: 'AccessDeniedException', Message: message }),
      };
    default:
      // REST-JSON services (SES v2, Scheduler): 403 with the error type in a header.
      return {
        status: 403,
        headers: { ...common, 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ message }),
      };
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
