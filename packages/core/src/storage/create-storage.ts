import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { LocalStorage } from './local.storage';
import type { ObjectStorage } from './object-storage';
import { S3Storage } from './s3.storage';

/** STORAGE=local: files under DATA_DIR/objects. STORAGE=s3: S3_BUCKET (S3_ENDPOINT for MinIO etc.). */
export function createStorage(
  config: Pick<Config, 'STORAGE' | 'DATA_DIR' | 'S3_BUCKET' | 'S3_ENDPOINT' | 'S3_REGION'>,
  logger?: Logger,
): ObjectStorage {
  if (config.STORAGE === 'local') return new LocalStorage(path.join(config.DATA_DIR, 'objects'), { logger });
  if (!config.S3_BUCKET) throw new Error('S3_BUCKET is required when STORAGE=s3');
  return new S3Storage({ bucket: config.S3_BUCKET, region: config.S3_REGION, endpoint: config.S3_ENDPOINT, logger });
}
