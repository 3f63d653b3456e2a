#!/usr/bin/env python3
"""A few S3 calls with the stack's credentials, signed by boto3, for tests that are
not written in Python (tests/browser): the answer is JSON (or the object's bytes)
on stdout.

    python3 tests/lib/s3client.py ENDPOINT get-object KEY
    python3 tests/lib/s3client.py ENDPOINT head-object KEY
    python3 tests/lib/s3client.py ENDPOINT list-uploads
    python3 tests/lib/s3client.py ENDPOINT list-parts KEY UPLOAD_ID
    python3 tests/lib/s3client.py ENDPOINT put-cors ORIGIN [--hide-etag]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import BUCKET, s3_client  # noqa: E402


def main(argv):
    endpoint, command, args = argv[1], argv[2], argv[3:]
    s3 = s3_client(endpoint)
    if command == "get-object":
        sys.stdout.buffer.write(s3.get_object(Bucket=BUCKET, Key=args[0])["Body"].read())
        return 0
    if command == "head-object":
        head = s3.head_object(Bucket=BUCKET, Key=args[0], ChecksumMode="ENABLED")
        head.pop("ResponseMetadata", None)
        doc = head
    elif command == "list-uploads":
        doc = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    elif command == "list-parts":
        doc = s3.list_parts(Bucket=BUCKET, Key=args[0], UploadId=args[1]).get("Parts", [])
    elif command == "put-cors":
        rule = {"AllowedOrigins": [args[0]], "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}
        if "--hide-etag" not in args:
            rule["ExposeHeaders"] = ["ETag"]
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [rule]})
        doc = {"ok": True}
    else:
        print("unknown command %r" % command, file=sys.stderr)
        return 2
    json.dump(doc, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
