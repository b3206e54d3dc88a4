import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { ExportSink } from '../csv-export';

/** An ExportSink writing to a local file (the benchmark's stand-in for the S3 upload). */
export function fileSink(path: string): ExportSink {
  const stream = createWriteStream(path);
  return {
    stream,
    done: finished(stream),
    abort: async (reason: unknown) => {
      // Closed first: removing a file the stream is still opening would let it reappear.
      const closed = new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
      stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      await closed;
      await rm(path, { force: true }).catch(() => undefined);
    },
  };
}
