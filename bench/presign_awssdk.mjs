// Microseconds per pre-signed UploadPart URL with @aws-sdk/s3-request-presigner,
// same inputs as bench/presign_s3mpu.c.
import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const n = Number(process.argv[2] ?? 20000);
const client = new S3Client({
  region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});
const input = (i) => new UploadPartCommand({ Bucket: 'uploads', Key: 'videos/holiday 2026.mp4',
  UploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA', PartNumber: (i % 10000) + 1 });
for (let i = 0; i < 200; i++) await getSignedUrl(client, input(i), { expiresIn: 3600 });
const t0 = performance.now();
for (let i = 0; i < n; i++) await getSignedUrl(client, input(i), { expiresIn: 3600 });
console.log(`awssdk_us_per_url=${(((performance.now() - t0) * 1000) / n).toFixed(3)} iterations=${n}`);
