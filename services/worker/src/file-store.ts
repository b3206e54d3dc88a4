import { Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentDisposition, DEFAULT_EXPORT_OPTIONS, type ExportOptions, exportFileExtension } from '@memberships/core/contract';
import type { ExportSink, PartUpload } from './csv-export';

/** S3's smallest part but the last (UploadPart). */
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

export interface ExportFileStoreOptions {
  readonly bucket: string;
  /** SSE-KMS key id or ARN; unset = SSE-S3 (AES256). */
  readonly kmsKeyId?: string | undefined;
  /** Multipart part size. Default 8 MiB (S3's minimum is 5 MiB). */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel. Default 3; memory held is about (queueSize + 1) × partSize. */
  readonly queueSize?: number;
  /**
   * How long an abort waits for the parts on their way to be answered before it cuts them off.
   * Default 2 s: an export must stop within 5 s of a cancel.
   */
  readonly abortDrainMs?: number;
}

const DEFAULT_ABORT_DRAIN_MS = 2000;

/**
 * The S3 key of a job's file, `exports/<user>/<job>` and the extension of its
 * format (`.csv`, `.xlsx.gz`, ...); one file per job, so a retried export
 * overwrites its own earlier attempt.
 */
export function exportFileKey(
  userId: string,
  jobId: string,
  options: Pick<ExportOptions, 'format' | 'compression'> = DEFAULT_EXPORT_OPTIONS,
): string {
  return `exports/${userId}/${jobId}${exportFileExtension(options)}`;
}

/**
 * Export files in S3: private bucket (no ACL is ever set), server-side
 * encrypted, expired by the bucket's lifecycle rule. Uploads stream through
 * a multipart upload, so a file of any size takes bounded memory. The worker
 * signs no S3 URL: its emails link to the API (email-links.ts), which makes
 * a fresh short-lived one per click.
 */
export class ExportFileStore {
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly abortDrainMs: number;

  constructor(
    private readonly s3: S3Client,
    private readonly options: ExportFileStoreOptions,
  ) {
    this.partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 3;
    this.abortDrainMs = options.abortDrainMs ?? DEFAULT_ABORT_DRAIN_MS;
  }

  /**
   * Opens an upload to `key` of a file of `contentType` (exportContentType):
   * either write it into `stream` (lib-storage's Upload, started by the first
   * byte or the end) or send it as numbered parts through `multipart`
   * (an export in parallel ranges); then await `done`.
   */
  openUpload(key: string, fileName: string, contentType: string): ExportSink {
    const params = {
      Bucket: this.options.bucket,
      Key: key,
      ContentType: contentType,
      ContentDisposition: contentDisposition(fileName),
      ...this.encryption(),
    };
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let upload: Upload | undefined;
    let parts: PartUpload | undefined;
    // The stream's first byte (or its end) starts the Upload: a sink sent as parts never starts one.
    const start = () => {
      if (upload || parts) return;
      upload = new Upload({
        client: this.s3,
        partSize: this.partSize,
        queueSize: this.queueSize,
        // A failed multipart upload is aborted, so no orphaned parts are billed.
        leavePartsOnError: false,
        params: { ...params, Body: body },
      });
      upload.done().then(() => settle.resolve(), settle.reject);
    };
    // Small buffer: lib-storage gathers the bytes into parts itself.
    const body = new Transform({
      highWaterMark: 1024 * 1024,
      transform(chunk, _encoding, callback) {
        start();
        callback(null, chunk);
      },
      flush(callback) {
        start();
        callback();
      },
    });
    return {
      stream: body,
      done,
      abort: async (reason: unknown) => {
        const error = reason instanceof Error ? reason : new Error(String(reason));
        // Without an Upload reading it (nothing started, or the parts were used) nobody listens for the body's error.
        body.destroy(upload ? error : undefined);
        // Aborts the multipart upload (if one was started), so no parts are left behind.
        await Promise.all([upload?.abort().catch(() => undefined), parts?.abort(error)]);
        if (!upload) settle.reject(error);
        await done.catch(() => undefined);
      },
      multipart: {
        minPartBytes: S3_MIN_PART_BYTES,
        // Parallel ranges hold about two parts each: the smallest S3 takes keeps their memory low
        // (and still leaves each of 4 ranges about 2,500 parts, over 12 GiB).
        partBytes: S3_MIN_PART_BYTES,
        create: async () => {
          if (upload || parts) throw new Error('this upload has already started');
          parts = await this.createPartUpload(params);
          const created = parts;
          return {
            uploadPart: (partNumber, part) => created.uploadPart(partNumber, part),
            complete: () => created.complete().then(() => settle.resolve()),
            abort: (error) => created.abort(error).finally(() => settle.reject(error)),
          };
        },
      },
    };
  }

  private encryption(): { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string } {
    return this.options.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId }
      : { ServerSideEncryption: 'AES256' };
  }

  /**
   * A multipart upload driven part by part (CreateMultipartUpload, UploadPart,
   * CompleteMultipartUpload with the parts in number order); aborted
   * (AbortMultipartUpload) on any failure, so no parts are billed.
   */
  private async createPartUpload(params: {
    Bucket: string;
    Key: string;
    ContentType: string;
    ContentDisposition: string;
    ServerSideEncryption: ServerSideEncryption;
    SSEKMSKeyId?: string;
  }): Promise<PartUpload> {
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand(params));
    if (!UploadId) throw new Error('S3 answered CreateMultipartUpload without an UploadId');
    const target = { Bucket: params.Bucket, Key: params.Key, UploadId };
    const stored: { PartNumber: number; ETag: string }[] = [];
    let aborted: Promise<void> | undefined;
    // Parts on their way. AbortMultipartUpload frees a part still being uploaded only if the abort is
    // repeated after it ends (S3 API Reference, AbortMultipartUpload), and a part the client gave up on
    // once its bytes were sent may still be stored. So an abort lets the parts on their way finish first, as
    // lib-storage's Upload does, and cuts them off only if S3 has not answered them in abortDrainMs.
    const inFlight = new Set<Promise<unknown>>();
    const cutOff = new AbortController();
    const drainMs = this.abortDrainMs;
    return {
      uploadPart: async (partNumber, body) => {
        if (aborted) throw new Error(`the upload was aborted; part ${partNumber} is not sent`);
        const sent = this.s3.send(new UploadPartCommand({ ...target, PartNumber: partNumber, Body: body }), { abortSignal: cutOff.signal });
        inFlight.add(sent);
        try {
          const { ETag } = await sent;
          if (!ETag) throw new Error(`S3 answered UploadPart ${partNumber} without an ETag`);
          stored.push({ PartNumber: partNumber, ETag });
        } finally {
          inFlight.delete(sent);
        }
      },
      complete: async () => {
        const Parts = [...stored].sort((a, b) => a.PartNumber - b.PartNumber);
        await this.s3.send(new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts } }));
      },
      abort: () =>
        (aborted ??= (async () => {
          const drained = Promise.allSettled([...inFlight]);
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), drainMs);
          });
          const answered = await Promise.race([drained.then(() => true), late]).finally(() => clearTimeout(timer));
          if (!answered) {
            cutOff.abort();
            await drained;
          }
          await this.s3.send(new AbortMultipartUploadCommand(target)).catch(() => undefined);
        })()),
    };
  }
}
