import { AWS_SERVICES } from '@memberships/local-platform';
import { AWS_LATENCY_MODEL, AWS_LATENCY_MODEL_FLAG, parseAwsLatency } from './aws-latency';

describe('parseAwsLatency', () => {
  it('gives one number to every service the gate fronts', () => {
    expect(parseAwsLatency('10')).toEqual({ dynamodb: 10, sqs: 10, s3: 10, ses: 10, scheduler: 10, secretsmanager: 10, events: 10 });
  });

  it('reads service=ms pairs, the services not named getting none', () => {
    expect(parseAwsLatency('dynamodb=5, sqs=12,s3=30')).toEqual({ dynamodb: 5, sqs: 12, s3: 30 });
  });

  it('treats 0 as no latency', () => {
    expect(parseAwsLatency('0')).toEqual({});
    expect(parseAwsLatency('ses=0,sqs=3')).toEqual({ sqs: 3 });
  });

  it.each([
    ['', /whole number/],
    ['fast', /whole number.*"fast"/],
    ['-1', /whole number/],
    ['2.5', /whole number/],
    ['5001', /0 to 5000/],
    ['dynamo=5', /"dynamo=5" is not service=ms/],
    ['sqs=5=6', /not service=ms/],
    ['sqs=', /sqs: a whole number/],
    ['sqs=1,sqs=2', /sqs is given twice/],
  ])('refuses %j', (text, message) => {
    expect(() => parseAwsLatency(text)).toThrow(message);
  });
});

describe('AWS_LATENCY_MODEL', () => {
  it('gives every service the gate fronts a round trip, and its flag spelling reads back as it', () => {
    expect(Object.keys(AWS_LATENCY_MODEL).sort()).toEqual([...AWS_SERVICES].sort());
    for (const ms of Object.values(AWS_LATENCY_MODEL)) expect(ms).toBeGreaterThan(0);
    expect(parseAwsLatency(AWS_LATENCY_MODEL_FLAG)).toEqual(AWS_LATENCY_MODEL);
  });
});
