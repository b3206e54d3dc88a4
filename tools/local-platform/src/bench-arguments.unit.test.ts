import { BenchArgumentError, benchErrorText, benchUsage, HELP, parseBenchArguments, positiveInteger } from './bench-arguments';

const command = {
  usage: 'npm run bench:demo -- [options]',
  summary: 'A demo benchmark.',
  options: {
    users: { type: 'number', default: 300, ...positiveInteger, help: 'users seeded' },
    'medium-share': {
      type: 'number',
      default: 0.1,
      valid: (value: number) => value >= 0 && value <= 1,
      what: 'a share between 0 and 1',
      help: 'share of medium users',
    },
    'large-users': { type: 'number', ...positiveInteger, help: 'users with the large export' },
    'no-warmup': { type: 'flag', help: 'skip the warm-up' },
    'aws-latency-ms': { type: 'text', placeholder: 'MS|service=MS,…', help: 'latency per call' },
  },
} as const;

function parse(argv: readonly string[]) {
  return parseBenchArguments(argv, command);
}

function errorOf(argv: readonly string[]): BenchArgumentError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof BenchArgumentError) return error;
    throw error;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseBenchArguments', () => {
  it('gives every option its default when none is given', () => {
    expect(parse([])).toEqual({
      users: 300,
      'medium-share': 0.1,
      'large-users': undefined,
      'no-warmup': false,
      'aws-latency-ms': undefined,
    });
  });

  it('reads values given as separate words and with =', () => {
    expect(parse(['--users', '12', '--medium-share=0.25', '--no-warmup', '--aws-latency-ms', 'sqs=10'])).toEqual({
      users: 12,
      'medium-share': 0.25,
      'large-users': undefined,
      'no-warmup': true,
      'aws-latency-ms': 'sqs=10',
    });
  });

  it('returns HELP for --help or -h, whatever else is given', () => {
    expect(parse(['--help'])).toBe(HELP);
    expect(parse(['--users', '3', '-h'])).toBe(HELP);
    expect(parse(['--no-such-option', '--help'])).toBe(HELP);
  });

  it('refuses an unknown or mistyped option instead of running the defaults', () => {
    expect(errorOf(['--user', '3']).message).toBe("Unknown option '--user' (see --help)");
  });

  it('refuses a positional argument', () => {
    expect(errorOf(['300']).message).toMatch(/^Unexpected argument '300'/);
  });

  it('refuses an option whose value is missing', () => {
    expect(errorOf(['--users']).message).toMatch(/^Option '--users <value>' argument missing/);
  });

  it('refuses a value its check does not allow, naming what it needs', () => {
    expect(errorOf(['--users', '0']).message).toBe("--users needs a positive integer, got '0' (see --help)");
    expect(errorOf(['--users', '2.5']).message).toBe("--users needs a positive integer, got '2.5' (see --help)");
    expect(errorOf(['--users', 'many']).message).toBe("--users needs a positive integer, got 'many' (see --help)");
    expect(errorOf(['--users=']).message).toBe("--users needs a positive integer, got '' (see --help)");
    expect(errorOf(['--medium-share', '1.5']).message).toBe("--medium-share needs a share between 0 and 1, got '1.5' (see --help)");
  });

  it('refuses a value given to a switch', () => {
    expect(errorOf(['--no-warmup=yes']).message).toMatch(/^Option '--no-warmup' does not take an argument/);
  });
});

describe('benchUsage', () => {
  it('lists every option with its default, and --help', () => {
    const text = benchUsage(command);
    expect(text.split('\n').slice(0, 5)).toEqual(['Usage: npm run bench:demo -- [options]', '', 'A demo benchmark.', '', 'Options:']);
    expect(text).toMatch(/^ {2}--users N +users seeded \(default 300\)$/m);
    expect(text).toMatch(/^ {2}--medium-share N +share of medium users \(default 0\.1\)$/m);
    expect(text).toMatch(/^ {2}--large-users N +users with the large export$/m);
    expect(text).toMatch(/^ {2}--no-warmup +skip the warm-up$/m);
    expect(text).toMatch(/^ {2}--aws-latency-ms MS\|service=MS,… +latency per call$/m);
    expect(text).toMatch(/^ {2}-h, --help +print this and exit$/m);
  });
});

describe('benchErrorText', () => {
  it('gives a bad command line its message alone, anything else its stack', () => {
    expect(benchErrorText(new BenchArgumentError("Unknown option '--user' (see --help)"))).toBe("Unknown option '--user' (see --help)");
    const crash = new Error('connect ECONNREFUSED');
    expect(benchErrorText(crash)).toBe(crash.stack);
    expect(benchErrorText('a string')).toBe('a string');
  });
});
