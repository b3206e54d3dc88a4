import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import type { ExportSink, PartUpload } from '../csv-export';
import { fileSink } from './file-sink';

/** S3's smallest part but the last, which this stand-in enforces as S3 does. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * fileSink with the multipart capability, the benchmark's stand-in for S3's:
 * each part is a file of its own beside `path`, and completing joins them in
 * part-number order into `path` (S3 does that join itself; here it is paid
 * for inside the timed export). Refuses what S3 refuses: a part number out of
 * 1-10,000, a number twice, a middle part under 5 MiB. Parts are cut at
 * 5 MiB by default, as ExportFileStore cuts them for parallel ranges.
 */
export function multipartFileSink(path: string, partBytes = MIN_PART_BYTES): ExportSink {
  const sink = fileSink(path);
  const parts = new Map<number, { file: string; bytes: number }>();
  let dropped: Promise<void> | undefined;
  const dropParts = () =>
    (dropped ??= Promise.all([...parts.values()].map((part) => rm(part.file, { force: true }))).then(() => undefined));
  const upload: PartUpload = {
    uploadPart: async (partNumber, body) => {
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
        throw new Error(`part number ${partNumber} is out of 1-10,000`);
      if (parts.has(partNumber)) throw new Error(`part ${partNumber} was uploaded twice`);
      const file = `${path}.part-${String(partNumber).padStart(5, '0')}`;
      parts.set(partNumber, { file, bytes: body.length });
      await writeFile(file, body);
    },
    complete: async () => {
      const ordered = [...parts.entries()].sort(([a], [b]) => a - b);
      for (const [number, part] of ordered.slice(0, -1)) {
        if (part.bytes < MIN_PART_BYTES) throw new Error(`part ${number} is ${part.bytes} bytes, under S3's 5 MiB for a part but the last`);
      }
      for (const [, part] of ordered) {
        for await (const chunk of createReadStream(part.file)) if (!sink.stream.write(chunk)) await once(sink.stream, 'drain');
      }
      sink.stream.end();
      await sink.done;
      await dropParts();
    },
    abort: async (reason) => {
      await sink.abort(reason);
      await dropParts();
    },
  };
  return {
    ...sink,
    abort: async (reason) => {
      await upload.abort(reason);
    },
    multipart: { minPartBytes: MIN_PART_BYTES, partBytes, create: async () => upload },
  };
}
