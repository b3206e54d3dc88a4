import { ConfigError } from '@memberships/core/contract';
import { loadRunnerConfig } from './config';

describe('runner configuration', () => {
  it('has defaults for everything: a real clock, a free port, us-east-1', () => {
    expect(loadRunnerConfig({}, [])).toEqual({
      port: 0,
      region: 'us-east-1',
      sqsEndpoint: undefined,
      clock: 'real',
      tickMs: 1000,
      startTime: undefined,
      accountId: '000000000000',
      maxFiringsPerClockMove: 10_000,
      logLevel: 'info',
    });
  });

  it('reads every variable and the port argument', () => {
    const config = loadRunnerConfig(
      {
        AWS_REGION: 'eu-central-1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
        SCHEDULER_CLOCK: 'manual',
        SCHEDULER_TICK_MS: '250',
        SCHEDULER_START_TIME: '2026-03-01T00:00:00Z',
        SCHEDULER_ACCOUNT_ID: '123456789012',
        SCHEDULER_MAX_FIRINGS_PER_CLOCK_MOVE: '50',
        LOG_LEVEL: 'debug',
      },
      ['8090'],
    );
    expect(config).toEqual({
      port: 8090,
      region: 'eu-central-1',
      sqsEndpoint: 'http://127.0.0.1:4566',
      clock: 'manual',
      tickMs: 250,
      startTime: new Date('2026-03-01T00:00:00Z'),
      accountId: '123456789012',
      maxFiringsPerClockMove: 50,
      logLevel: 'debug',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every problem in one error', () => {
    const load = () =>
      loadRunnerConfig(
        {
          AWS_ENDPOINT_URL_SQS: 'not a url',
          SCHEDULER_CLOCK: 'sundial',
          SCHEDULER_START_TIME: 'tomorrow',
          SCHEDULER_ACCOUNT_ID: '42',
          LOG_LEVEL: 'loud',
        },
        ['http'],
      );
    expect(load).toThrow(ConfigError);
    for (const problem of [
      'AWS_ENDPOINT_URL_SQS must be a URL, got "not a url"',
      'the port argument must be an integer between 0 and 65535, got "http"',
      'SCHEDULER_CLOCK must be "real" or "manual", got "sundial"',
      'SCHEDULER_START_TIME must be an ISO 8601 date-time, got "tomorrow"',
      'SCHEDULER_ACCOUNT_ID must be 12 digits, got "42"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]) {
      expect(load).toThrow(problem);
    }
  });
});
