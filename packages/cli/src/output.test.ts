import { PassThrough } from 'node:stream';
import { Output, styleFor } from './output.js';

describe('colour', () => {
  it('is used only on a terminal, and never with NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, false).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(styleFor({ isTTY: true }, true).red('x')).toBe('x');
    expect(styleFor({ isTTY: false }, false).red('x')).toBe('x');
    expect(styleFor({}, false).red('x')).toBe('x');
  });
});

describe('Output', () => {
  it('writes results to stdout and errors with hints to stderr', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const output = new Output({ stdout, stderr, stdin: new PassThrough() }, false);
    output.result('id-1');
    output.error('Something broke.', 'Try again.');
    expect(stdout.read()?.toString()).toBe('id-1\n');
    expect(stderr.read()?.toString()).toBe('error: Something broke.\nhint: Try again.\n');
  });
});
