import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { clientOptions } from '@memberships/core/config';
import { contentDisposition } from '@memberships/core/contract';
import fp from 'fastify-plugin';

export interface ExportFiles {
  /**
   * A short-lived URL that downloads the object as an attachment named
   * `filename` (the contract's Content-Disposition, the one the worker's
   * email link carries too). Signing is local: nothing is sent to S3.
   */
  downloadUrl(key: string, filename: string): Promise<string>;
}

declare module 'fastify' {
  interface FastifyInstance {
    exportFiles: ExportFiles;
  }
}

/**
 * Download links for finished export files. The URL is signed for the endpoint
 * users can reach (PUBLIC_S3_ENDPOINT when the API reaches S3 under another
 * name, e.g. inside a container network), else the API's own S3 endpoint.
 */
export default fp(
  async (app) => {
    const { aws, exportBucket, downloadUrlTtlSeconds, publicS3Endpoint } = app.config;
    const signer = publicS3Endpoint
      ? new S3Client(clientOptions({ ...aws, endpoints: { ...aws.endpoints, s3: publicS3Endpoint } }, 's3'))
      : app.aws.s3;
    if (signer !== app.aws.s3) app.addHook('onClose', async () => signer.destroy());

    app.decorate<ExportFiles>('exportFiles', {
      downloadUrl(key, filename) {
        const command = new GetObjectCommand({
          Bucket: exportBucket,
          Key: key,
          ResponseContentDisposition: contentDisposition(filename),
        });
        return getSignedUrl(signer, command, { expiresIn: downloadUrlTtlSeconds, signingDate: app.clock.now() });
      },
    });
  },
  { name: 'export-files', dependencies: ['app-context', 'aws-clients'] },
);
