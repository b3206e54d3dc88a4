import type { Readable, Writable } from 'node:stream';

/** The streams the CLI uses; injectable so commands are testable without a terminal. */
export interface Streams {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable & { isTTY?: boolean };
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const colourful: Style = {
  bold: ansi(1, 22),
  dim: ansi(2, 22),
  red: ansi(31, 39),
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  cyan: ansi(36, 39),
};
const plain: Style = { bold: String, dim: String, red: String, green: String, yellow: String, cyan: String };

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function styleFor(stream: { isTTY?: boolean }, noColor: boolean): Style {
  return stream.isTTY && !noColor ? colourful : plain;
}

/**
 * Where output goes: results on stdout (what a script captures), everything
 * meant for the person (progress, notes, errors) on stderr.
 */
export class Output {
  readonly out: Style;
  readonly err: Style;

  constructor(
    readonly streams: Streams,
    noColor: boolean,
  ) {
    this.out = styleFor(streams.stdout, noColor);
    this.err = styleFor(streams.stderr, noColor);
  }

  /** Is a person watching stderr (progress lines only make sense then)? */
  get interactive(): boolean {
    return Boolean(this.streams.stderr.isTTY);
  }

  /** A line of the command's result. */
  result(line = ''): void {
    this.streams.stdout.write(`${line}\n`);
  }

  /** Machine-readable result: one JSON document on stdout. */
  json(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for the person running the command. */
  note(line: string): void {
    this.streams.stderr.write(`${line}\n`);
  }

  error(message: string, suggestion?: string): void {
    this.streams.stderr.write(`${this.err.red('error:')} ${message}\n`);
    if (suggestion) this.streams.stderr.write(`${this.err.yellow('hint:')} ${suggestion}\n`);
  }
}
