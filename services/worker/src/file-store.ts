import { PassThrough } from 'node:stream';
import type { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentDisposition, DEFAULT_EXPORT_OPTIONS, type ExportOptions, exportFileExtension } from '@memberships/core/contract';
import type { ExportSink } from './csv-export';

export interface ExportFileStoreOptions {
  readonly bucket: string;
  /** SSE-KMS key id or ARN; unset = SSE-S3 (AES256). */
  readonly kmsKeyId?: string | undefined;
  /** Multipart part size. Default 8 MiB (S3's minimum is 5 MiB). */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel. Default 3; memory held is about (queueSize + 1) × partSize. */
  readonly queueSize?: number;
}

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

  constructor(
    private readonly s3: S3Client,
    private readonly options: ExportFileStoreOptions,
  ) {
    this.partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 3;
  }

  /** Opens an upload to `key` of a file of `contentType` (exportContentType); write it into `stream` and await `done`. */
  openUpload(key: string, fileName: string, contentType: string): ExportSink {
    // Small buffer: lib-storage gathers the bytes into parts itself.
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const encryption: { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string } = this.options.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId }
      : { ServerSideEncryption: 'AES256' };
    const upload = new Upload({
      client: this.s3,
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A failed multipart upload is aborted, so no orphaned parts are billed.
      leavePartsOnError: false,
      params: {
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ContentDisposition: contentDisposition(fileName),
        ...encryption,
      },
    });
    const done = upload.done().then(() => undefined);
    return {
      stream: body,
      done,
      abort: async (reason: unknown) => {
        body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        // Aborts the multipart upload (if one was started), so no parts are left behind.
        await upload.abort().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }
}
