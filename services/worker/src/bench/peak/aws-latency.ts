import { AWS_SERVICES as SERVICES, BenchArgumentError, type ServiceLatency } from '@memberships/local-platform';

/**
 * bench:peak's default: a round trip per call as a task in the same region
 * might see it, held by the IAM gate because the emulators here answer in well
 * under a millisecond, so a worker that waits on AWS would otherwise never
 * wait. Sources, and what is only assumed:
 * - DynamoDB 5 ms: AWS documents "single-digit millisecond" latency.
 * - S3 30 ms: AWS's whitepaper "Best Practices Design Patterns: Optimizing
 *   Amazon S3 Performance" (Timeouts and Retries for Latency-Sensitive
 *   Applications) puts the median latency of requests under 512 KB in the
 *   tens of milliseconds.
 * - SQS 10 ms, SES 50 ms, the rest 10 ms: assumptions, not measurements;
 *   lower than real only makes the one-lane baseline faster, the speedup
 *   over it smaller.
 */
export const AWS_LATENCY_MODEL = {
  dynamodb: 5,
  sqs: 10,
  s3: 30,
  ses: 50,
  events: 10,
  secretsmanager: 10,
  scheduler: 10,
} as const satisfies ServiceLatency;

/** The model as the flag spells it: dynamodb=5,sqs=10,… */
export const AWS_LATENCY_MODEL_FLAG = Object.entries(AWS_LATENCY_MODEL)
  .map(([service, ms]) => `${service}=${ms}`)
  .join(',');

/** More than this is a typo, not a network: a long poll's own wait is 20 s. */
const MAX_MS = 5_000;

/**
 * `--aws-latency-ms`: either one number of milliseconds for every service
 * (`10`), or `service=ms` pairs separated by commas (`dynamodb=5,sqs=10`),
 * the services not named getting none. Throws a BenchArgumentError that says
 * what is wrong; an empty result means no latency.
 */
export function parseAwsLatency(text: string): ServiceLatency {
  const milliseconds = (value: string, what: string): number => {
    const ms = Number(value);
    if (value.trim() === '' || !Number.isInteger(ms) || ms < 0 || ms > MAX_MS)
      throw new BenchArgumentError(`${what}: a whole number of milliseconds from 0 to ${MAX_MS}, got "${value}"`);
    return ms;
  };
  if (!text.includes('=')) {
    const ms = milliseconds(text, '--aws-latency-ms');
    return ms === 0 ? {} : Object.fromEntries(SERVICES.map((service) => [service, ms]));
  }
  const latency: ServiceLatency = {};
  for (const pair of text.split(',')) {
    const [name = '', value = '', ...rest] = pair.split('=');
    const service = SERVICES.find((known) => known === name.trim());
    if (!service || rest.length > 0)
      throw new BenchArgumentError(`--aws-latency-ms: "${pair}" is not service=ms with a service among ${SERVICES.join(', ')}`);
    if (latency[service] !== undefined) throw new BenchArgumentError(`--aws-latency-ms: ${service} is given twice`);
    latency[service] = milliseconds(value, `--aws-latency-ms ${service}`);
  }
  return Object.fromEntries(Object.entries(latency).filter(([, ms]) => ms > 0));
}
