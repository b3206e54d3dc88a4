import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import type { ExportSink, PartUpload } from '../csv-export';
import { fileSink } from './file-sink';

/** S3's smallest part but the last, which this stand-in enforces as S3 does. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/** A multipart file sink, and the join of its parts into one file. */
export interface MultipartFileSink extends ExportSink {
  /**
   * After the upload completed: joins the parts in part-number order into
   * `path` and deletes them. S3 does this join itself, on its own machines,
   * once CompleteMultipartUpload is accepted; so the benchmark times the
   * export up to the completion and joins afterwards, untimed, to compare the
   * file with psql's.
   */
  assemble(): Promise<void>;
}

/**
 * fileSink with the multipart capability, the benchmark's stand-in for S3's:
 * each part is a file of its own beside `path` (the bytes the worker sends
 * S3, written once, as psql writes its file once). Completing checks what S3's
 * CompleteMultipartUpload checks, and refuses what S3 refuses: a part number
 * out of 1-10,000, a number twice, a middle part under 5 MiB, no part at all.
 * Parts are cut at 5 MiB by default, as ExportFileStore cuts them for
 * parallel ranges.
 */
export function multipartFileSink(path: string, partBytes = MIN_PART_BYTES): MultipartFileSink {
  const sink = fileSink(path);
  const parts = new Map<number, { file: string; bytes: number }>();
  let created = false;
  let completed: [number, { file: string; bytes: number }][] | undefined;
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
      if (ordered.length === 0) throw new Error('no part was uploaded');
      for (const [number, part] of ordered.slice(0, -1)) {
        if (part.bytes < MIN_PART_BYTES) throw new Error(`part ${number} is ${part.bytes} bytes, under S3's 5 MiB for a part but the last`);
      }
      completed = ordered;
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
    multipart: {
      minPartBytes: MIN_PART_BYTES,
      partBytes,
      create: async () => {
        created = true;
        return upload;
      },
    },
    assemble: async () => {
      // The single stream (one range, or too few rows) wrote `path` itself, without an upload.
      if (!created) return;
      if (!completed) throw new Error('the multipart upload was not completed');
      for (const [, part] of completed) {
        for await (const chunk of createReadStream(part.file)) if (!sink.stream.write(chunk)) await once(sink.stream, 'drain');
      }
      sink.stream.end();
      await sink.done;
      await dropParts();
    },
  };
}
