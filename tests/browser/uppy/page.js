// The Uppy test page: a file picker whose files Uppy sends through s3mpu. A module of
// its own, not an inline script: the site's Content-Security-Policy allows no inline script.
import { Uppy, AwsS3 } from './uppy.bundle.js';
// ?multipart=1 forces multipart for every file; without it Uppy's defaults apply
// (in @uppy/aws-s3 6: multipart only above 100 MiB, a pre-signed POST below).
const multipart = new URLSearchParams(location.search).has('multipart');
const uppy = new Uppy({ autoProceed: false })
  .use(AwsS3, multipart ? { companionEndpoint: '/api', shouldUseMultipart: true }
                        : { companionEndpoint: '/api' });
document.querySelector('#files').addEventListener('change', async (e) => {
  for (const file of e.target.files) uppy.addFile({ name: file.name, type: file.type, data: file });
  try {
    const result = await uppy.upload();
    window.uppyResult = {
      successful: result.successful.map((f) => ({ name: f.name, key: f.s3Multipart?.key ?? f.meta?.key,
        location: f.response?.body?.location ?? f.uploadURL, body: f.response?.body })),
      failed: result.failed.map((f) => ({ name: f.name, error: String(f.error) })),
    };
  } catch (error) {
    window.uppyResult = { successful: [], failed: [{ error: String(error) }] };
  }
});
