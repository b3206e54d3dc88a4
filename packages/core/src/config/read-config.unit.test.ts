import { ConfigError } from '../errors';
import { awsKeysSetTogether, awsSettings, awsVariables } from './aws-variables';
import { LOG_LEVELS, logLevelVariable } from './log-levels';
import { readConfig } from './read-config';
import { custom, integer, list, oneOf, pick, string, url } from './variables';

const variables = {
  NAME: string({ doc: 'a required text' }),
  GREETING: string({ default: 'hello', doc: 'text with a default' }),
  NOTE: string({ optional: true, doc: 'optional text' }),
  ARN: string({ optional: true, pattern: { regex: /^arn:/, description: 'an ARN' }, doc: 'shaped text' }),
  ENDPOINT: url({ optional: true, doc: 'optional URL' }),
  SIZE: integer({ default: 10, min: 1, max: 100, doc: 'bounded integer' }),
  // Derived from the variable before it: default half of SIZE, at most SIZE.
  PART: integer({
    default: (values) => Number(values.SIZE) / 2,
    defaultDoc: 'SIZE / 2',
    min: 1,
    max: (values) => Number(values.SIZE),
    doc: 'x',
  }),
  MODE: oneOf(['fast', 'slow'], { default: 'slow', doc: 'a word' }),
  TAGS: list({ default: [], doc: 'a list' }),
  WHEN: custom({
    optional: true,
    type: 'ISO date',
    doc: 'a date',
    parse: (raw, name) => {
      const date = new Date(raw);
      if (Number.isNaN(date.getTime())) throw new ConfigError(`${name} must be a date, got "${raw}"`);
      return date;
    },
  }),
};

function problemsOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const [head, ...problems] = (error as Error).message.split('\n  - ');
    expect(head).toBe('Invalid configuration:');
    return problems;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfig', () => {
  it('applies defaults, leaves optional variables undefined and trims values', () => {
    expect(readConfig(variables, { NAME: '  me ' })).toEqual({
      NAME: 'me',
      GREETING: 'hello',
      NOTE: undefined,
      ARN: undefined,
      ENDPOINT: undefined,
      SIZE: 10,
      PART: 5,
      MODE: 'slow',
      TAGS: [],
      WHEN: undefined,
    });
  });

  it('parses every type when set, and blank is the same as unset', () => {
    const values = readConfig(variables, {
      NAME: 'me',
      GREETING: ' ',
      NOTE: 'n',
      ARN: 'arn:aws:x',
      ENDPOINT: 'http://127.0.0.1:1',
      SIZE: '40',
      PART: '40',
      MODE: 'fast',
      TAGS: 'a, ,b ,',
      WHEN: '2026-01-01T00:00:00Z',
    });
    expect(values).toEqual({
      NAME: 'me',
      GREETING: 'hello',
      NOTE: 'n',
      ARN: 'arn:aws:x',
      ENDPOINT: 'http://127.0.0.1:1',
      SIZE: 40,
      PART: 40,
      MODE: 'fast',
      TAGS: ['a', 'b'],
      WHEN: new Date('2026-01-01T00:00:00Z'),
    });
  });

  it('reports every problem at once, in the order the variables are listed', () => {
    const problems = problemsOf(() =>
      readConfig(variables, { ARN: 'nope', ENDPOINT: 'not a url', SIZE: '8', PART: '9', MODE: 'medium', WHEN: 'soon' }),
    );
    expect(problems).toEqual([
      'NAME is required',
      'ARN must be an ARN, got "nope"',
      'ENDPOINT must be a URL, got "not a url"',
      // The bound is derived from SIZE as read.
      'PART must be an integer between 1 and 8, got "9"',
      'MODE must be one of fast, slow, got "medium"',
      'WHEN must be a date, got "soon"',
    ]);
  });

  it('refuses integers that are not whole numbers within the bounds', () => {
    for (const value of ['0', '101', '1.5', 'ten', 'Infinity', '1e3']) {
      expect(problemsOf(() => readConfig(variables, { NAME: 'me', SIZE: value }))).toEqual([
        `SIZE must be an integer between 1 and 100, got "${value}"`,
      ]);
    }
  });

  it('gives a variable that failed its default, so what depends on it reads on', () => {
    // SIZE falls back to 10, so PART's bound is 10, and only SIZE is reported.
    expect(problemsOf(() => readConfig(variables, { NAME: 'me', SIZE: 'big', PART: '10' }))).toEqual([
      'SIZE must be an integer between 1 and 100, got "big"',
    ]);
  });

  it('treats a derived default that yields nothing as required', () => {
    const derived = {
      BASE: string({ optional: true, doc: 'x' }),
      CHILD: string({ default: (values) => (values.BASE ? `${values.BASE}-child` : undefined), defaultDoc: '<BASE>-child', doc: 'x' }),
    };
    expect(readConfig(derived, { BASE: 'b' }).CHILD).toBe('b-child');
    expect(readConfig(derived, { CHILD: 'c' }).CHILD).toBe('c');
    expect(problemsOf(() => readConfig(derived, {}))).toEqual(['CHILD is required']);
  });

  it('checks each list entry', () => {
    const lists = {
      ORIGINS: list({
        default: [],
        doc: 'x',
        item: (entry, name) => {
          if (!entry.startsWith('https://')) throw new ConfigError(`${name} entries must be https, got "${entry}"`);
          return entry;
        },
      }),
    };
    expect(readConfig(lists, { ORIGINS: 'https://a, https://b' }).ORIGINS).toEqual(['https://a', 'https://b']);
    expect(problemsOf(() => readConfig(lists, { ORIGINS: 'https://a, ftp://b' }))).toEqual([
      'ORIGINS entries must be https, got "ftp://b"',
    ]);
  });

  it('adds the problems of the checks to those of the variables, and lets other errors through', () => {
    const checked = { A: string({ optional: true, doc: 'x' }), B: string({ optional: true, doc: 'x' }) };
    const together = (values: { A?: string | undefined; B?: string | undefined }) =>
      (values.A === undefined) !== (values.B === undefined) ? 'A and B must be set together' : undefined;
    expect(readConfig(checked, { A: 'a', B: 'b' }, [together])).toEqual({ A: 'a', B: 'b' });
    expect(problemsOf(() => readConfig({ ...checked, C: string({ doc: 'x' }) }, { A: 'a' }, [together, () => ['one', 'two']]))).toEqual([
      'C is required',
      'A and B must be set together',
      'one',
      'two',
    ]);
    const broken = custom({
      type: 'x',
      doc: 'x',
      parse: () => {
        throw new TypeError('a bug, not a configuration problem');
      },
    });
    expect(() => readConfig({ BROKEN: broken }, { BROKEN: 'x' })).toThrow(TypeError);
  });

  it('looks each variable up exactly once, set or not', () => {
    const lookups: string[] = [];
    const recording = new Proxy({ NAME: 'me' } as NodeJS.ProcessEnv, {
      get(target, name) {
        if (typeof name === 'string') lookups.push(name);
        return target[name as string];
      },
    });
    readConfig(variables, recording);
    expect(lookups).toEqual(Object.keys(variables));
  });

  it('picks part of a description', () => {
    const part = pick(variables, ['NAME', 'SIZE']);
    expect(Object.keys(part)).toEqual(['NAME', 'SIZE']);
    expect(readConfig(part, { NAME: 'me' })).toEqual({ NAME: 'me', SIZE: 10 });
  });
});

describe('the shared variables', () => {
  it('LOG_LEVEL: one of pino levels, default info', () => {
    const levels = { LOG_LEVEL: logLevelVariable };
    expect(readConfig(levels, {}).LOG_LEVEL).toBe('info');
    expect(readConfig(levels, { LOG_LEVEL: 'trace' }).LOG_LEVEL).toBe('trace');
    expect(problemsOf(() => readConfig(levels, { LOG_LEVEL: 'loud' }))).toEqual([
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "loud"`,
    ]);
    expect(LOG_LEVELS).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
  });

  it('AWS: region required, endpoints optional URLs, static keys only as a pair', () => {
    const read = (env: NodeJS.ProcessEnv) => awsSettings(readConfig(awsVariables, env, [awsKeysSetTogether]));
    expect(read({ AWS_REGION: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      endpoints: {
        dynamodb: undefined,
        sqs: undefined,
        s3: undefined,
        ses: undefined,
        scheduler: undefined,
        secretsManager: undefined,
        events: undefined,
      },
    });
    expect(
      read({
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:3',
        AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:4',
        AWS_ENDPOINT_URL_SCHEDULER: 'http://127.0.0.1:5',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:6',
        AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:7',
        AWS_ACCESS_KEY_ID: 'AKID',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
      }),
    ).toEqual({
      region: 'eu-west-1',
      endpoints: {
        dynamodb: 'http://127.0.0.1:1',
        sqs: 'http://127.0.0.1:2',
        s3: 'http://127.0.0.1:3',
        ses: 'http://127.0.0.1:4',
        scheduler: 'http://127.0.0.1:5',
        secretsManager: 'http://127.0.0.1:6',
        events: 'http://127.0.0.1:7',
      },
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
    });
    expect(read({ AWS_REGION: 'r', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' }).credentials).toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
    });
    expect(problemsOf(() => read({ AWS_ACCESS_KEY_ID: 'AKID', AWS_ENDPOINT_URL_SQS: 'nope' }))).toEqual([
      'AWS_REGION is required',
      'AWS_ENDPOINT_URL_SQS must be a URL, got "nope"',
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together',
    ]);
  });
});
