// Bundled by tests/browser/uppy.test.mjs with esbuild into one ES module the test page loads.
export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
