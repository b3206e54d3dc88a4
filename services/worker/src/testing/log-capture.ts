import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface CapturedLogs {
  readonly logger: Logger;
  readonly records: LogRecord[];
  /** Records whose fields include all of `fields`. */
  find(fields: Record<string, unknown>): LogRecord[];
}

/**
 * A real pino logger writing its JSON lines into memory, so tests can assert
 * on what the worker logged. `onRecord` sees every record as it is written
 * (synchronously, inside the logging call), so a test can inject a fault at
 * an exact point of the worker's path.
 */
export function captureLogs(level = 'debug', onRecord?: (record: LogRecord) => void): CapturedLogs {
  const records: LogRecord[] = [];
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim()) {
          const record = JSON.parse(line) as LogRecord;
          records.push(record);
          onRecord?.(record);
        }
        newline = pending.indexOf('\n');
      }
      callback();
    },
  });
  return {
    logger: pino({ level, base: { service: 'worker' } }, sink),
    records,
    find: (fields) => records.filter((record) => Object.entries(fields).every(([key, value]) => record[key] === value)),
  };
}
