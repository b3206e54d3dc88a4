/**
 * ExportFileStore's abort of a multipart upload sent part by part, with S3
 * stubbed: parts on their way are answered before AbortMultipartUpload, and a
 * part S3 does not answer is cut off once the drain time has passed, so a
 * cancel still stops in time. (range-export.test.ts checks the answered case
 * against the S3 stand-in.)
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportFileStore } from './file-store';

/** An S3 client whose UploadPart answers only when `answerParts` is called, or fails when its abort signal fires. */
function stubS3() {
  const sent: string[] = [];
  const pendingParts: (() => void)[] = [];
  const client = {
    send: (command: { constructor: { name: string } }, options?: { abortSignal?: AbortSignal }) => {
      const name = command.constructor.name;
      sent.push(name);
      if (name === 'CreateMultipartUploadCommand') return Promise.resolve({ UploadId: 'upload-1' });
      if (name !== 'UploadPartCommand') return Promise.resolve({});
      return new Promise((resolve, reject) => {
        pendingParts.push(() => resolve({ ETag: '"etag"' }));
        options?.abortSignal?.addEventListener('abort', () => reject(new Error('the part was cut off')), { once: true });
      });
    },
  };
  return {
    s3: client as unknown as S3Client,
    names: () => [...sent],
    answerParts: () => {
      for (const answer of pendingParts.splice(0)) answer();
    },
  };
}

async function openParts(s3: S3Client, abortDrainMs: number) {
  const sink = new ExportFileStore(s3, { bucket: 'exports', abortDrainMs }).openUpload('exports/u/j.csv', 'memberships.csv', 'text/csv');
  const upload = await sink.multipart!.create();
  return { sink, upload };
}

describe('ExportFileStore: aborting an upload sent as parts', () => {
  it('waits for the parts on their way to be answered, then sends AbortMultipartUpload, and sends no part after it', async () => {
    const stub = stubS3();
    const { sink, upload } = await openParts(stub.s3, 60_000);
    const part = upload.uploadPart(1, Buffer.alloc(16));
    const aborting = sink.abort(new Error('canceled'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still waiting on the part: no AbortMultipartUpload yet.
    expect(stub.names()).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand']);
    stub.answerParts();
    await aborting;
    await expect(part).resolves.toBeUndefined();
    expect(stub.names()).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']);
    await expect(upload.uploadPart(2, Buffer.alloc(16))).rejects.toThrow('the upload was aborted; part 2 is not sent');
    expect(stub.names()).toHaveLength(3);
  });

  it('cuts off a part S3 has not answered once the drain time has passed, then aborts the upload', async () => {
    const stub = stubS3();
    const { sink, upload } = await openParts(stub.s3, 200);
    const part = upload.uploadPart(1, Buffer.alloc(16));
    const started = Date.now();
    await sink.abort(new Error('canceled'));
    const tookMs = Date.now() - started;
    await expect(part).rejects.toThrow('the part was cut off');
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(stub.names()).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']);
    await expect(sink.done).rejects.toThrow('canceled');
  });

  it('aborts at once when no part is on its way', async () => {
    const stub = stubS3();
    const { sink } = await openParts(stub.s3, 60_000);
    await sink.abort(new Error('canceled'));
    expect(stub.names()).toEqual(['CreateMultipartUploadCommand', 'AbortMultipartUploadCommand']);
  });
});
