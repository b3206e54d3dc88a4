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

/** Everything written so far (Node 26's read() hands out one written chunk at a time). */
function written(stream: PassThrough): string {
  let text = '';
  for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) text += chunk.toString();
  return text;
}

describe('Output', () => {
  it('writes results to stdout and errors with hints to stderr', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const output = new Output({ stdout, stderr, stdin: new PassThrough() }, false);
    output.result('id-1');
    output.error('Something broke.', 'Try again.');
    expect(written(stdout)).toBe('id-1\n');
    expect(written(stderr)).toBe('error: Something broke.\nhint: Try again.\n');
  });
});
