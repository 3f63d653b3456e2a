#!/usr/bin/env python3
"""Microseconds per pre-signed UploadPart URL with botocore, same inputs as bench/presign_s3mpu.c."""
import sys
import time

import botocore.session
from botocore.config import Config

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
client = botocore.session.get_session().create_client(
    "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9000",
    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
params = {"Bucket": "uploads", "Key": "videos/holiday 2026.mp4",
          "UploadId": "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"}
for i in range(200):  # warm up
    client.generate_presigned_url("upload_part", Params=dict(params, PartNumber=1), ExpiresIn=3600)
t0 = time.perf_counter()
for i in range(n):
    client.generate_presigned_url("upload_part", Params=dict(params, PartNumber=i % 10000 + 1),
                                  ExpiresIn=3600)
print("botocore_us_per_url=%.3f iterations=%d" % ((time.perf_counter() - t0) * 1e6 / n, n))
