#!/usr/bin/env python3
"""Prints, one JSON object a line, what botocore signs for a table of tricky keys,
addressing styles, endpoints and credentials, with its clock frozen. The C test
test_sigv4_botocore signs the same inputs with s3mpu's code and compares."""
import datetime
import json
import sys
from unittest import mock

import botocore.auth
import botocore.session
import botocore.signers
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 3, 14, 15, 9, 26)
KEYS = [
    "plain.txt", "a b", "a+b", "100%", "50%25", "~*()!'", "a//b", "/leading", "dir/sub/file.bin",
    "\u00e9t\u00e9/\u00fcber/\u65e5\u672c.txt", "emoji \U0001F600.bin", "q?x=1&y=2#frag",
    ";:@$,=[]{}|\\^`\"<>", "  spaced  ", "tab-less.tar.gz", "x" * 300,
]
CREDENTIALS = [
    ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    ("ASIAEXAMPLETEMP", "secret/with+slash=", "FwoGZXIvYXdzE//token+with/slash=="),
]
# (endpoint or None for AWS's, region, s3mpu's addressing_style, botocore's, bucket)
TARGETS = [
    # set styles
    ("http://127.0.0.1:9000", "us-east-1", "path", "path", "my-bucket-1"),
    ("https://s3.eu-west-1.amazonaws.com", "eu-west-1", "virtual", "virtual", "my-bucket-1"),
    ("https://s3.eu-west-1.amazonaws.com", "eu-west-1", "path", "path", "my-bucket-1"),
    ("https://storage.example.com:8443", "auto-region-1", "path", "path", "my-bucket-1"),
    ("https://storage.example.com:8443", "auto-region-1", "virtual", "virtual", "my-bucket-1"),
    (None, "us-west-2", "virtual", "virtual", "my-bucket-1"),
    # auto, s3mpu's default. On AWS's endpoint botocore's auto presigns against the
    # global bucket.s3.amazonaws.com; s3mpu's auto stays on the regional host (a new
    # bucket answers the global one with a 307 for a while, which a browser's CORS
    # preflight cannot follow), as botocore's virtual does
    (None, "us-west-2", "auto", "virtual", "my-bucket-1"),
    # an endpoint set to AWS's own: botocore's auto goes path-style on any endpoint
    # it is given; s3mpu keeps virtual-hosted on AWS's hosts
    ("https://s3.eu-west-1.amazonaws.com", "eu-west-1", "auto", "virtual", "my-bucket-1"),
    # any other endpoint: path-style, as botocore's auto
    ("https://storage.example.com:8443", "auto-region-1", "auto", "auto", "my-bucket-1"),
    ("http://127.0.0.1:9000", "us-east-1", "auto", "auto", "my-bucket-1"),
    ("https://10.1.2.3", "us-east-1", "auto", "auto", "my-bucket-1"),
    ("http://[::1]:9000", "us-east-1", "auto", "auto", "my-bucket-1"),
    # a dotted bucket over https is path-style whatever is asked
    (None, "us-west-2", "auto", "auto", "my.dotted.bucket"),
    ("https://storage.example.com:8443", "auto-region-1", "virtual", "virtual", "my.dotted.bucket"),
]
POST_MAX_BYTES = 5 * 1024 ** 3  # s3mpu's S3_POST_MAX_BYTES
UPLOAD_ID = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=="


SHA256_OF_X = "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="  # base64 SHA-256 of b"x"


def client(endpoint, region, style, cred):
    session = botocore.session.get_session()
    return session.create_client(
        "s3", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=cred[0], aws_secret_access_key=cred[1], aws_session_token=cred[2],
        config=Config(signature_version="s3v4", s3={"addressing_style": style},
                      request_checksum_calculation="when_required"))


def captured_url(c, operation, params):
    """The URL botocore would send for an operation, without sending it."""
    seen = {}

    def stop(request, **kwargs):
        seen["url"] = request.url
        seen["body"] = request.body or b""
        from botocore.awsrequest import AWSResponse
        return AWSResponse(request.url, 500, {}, None)

    c.meta.events.register("before-send.s3." + operation, stop)
    try:
        getattr(c, {"CreateMultipartUpload": "create_multipart_upload",
                    "CompleteMultipartUpload": "complete_multipart_upload"}[operation])(**params)
    except Exception:
        pass
    body = seen["body"]
    return seen["url"], body if isinstance(body, bytes) else body.encode()


def header_auth(url, method, body, region, cred, headers=()):
    """Authorization for a request carrying only the headers s3mpu signs (besides
    its own: host, x-amz-date, x-amz-content-sha256, x-amz-security-token)."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials(*cred), "s3", region).add_auth(req)
    return req.headers["Authorization"]


def main():
    out = sys.stdout
    n = 0
    # botocore.signers has its own reference: the POST policy's expiration comes from it
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN), \
            mock.patch.object(botocore.signers, "get_current_datetime", return_value=WHEN):
        for endpoint, region, style, botocore_style, bucket in TARGETS:
            for cred in CREDENTIALS:
                c = client(endpoint, region, botocore_style, cred)
                for key in KEYS:
                    base = {"endpoint": endpoint or "", "region": region, "addressing": style,
                            "access_key_id": cred[0], "secret_access_key": cred[1],
                            "session_token": cred[2] or "", "bucket": bucket, "key": key,
                            "date": WHEN.strftime("%Y%m%dT%H%M%SZ")}
                    for expires in (900, 604800):
                        url = c.generate_presigned_url(
                            "upload_part", ExpiresIn=expires,
                            Params={"Bucket": bucket, "Key": key, "UploadId": UPLOAD_ID,
                                    "PartNumber": 7})
                        out.write(json.dumps(dict(base, kind="presign", method="PUT", upload_id=UPLOAD_ID,
                                                  part_number=7, expires=expires, expected=url)) + "\n")
                    # a part whose size is pinned: Content-Length signed with host
                    for length in (0, 5 * 1024 ** 3):
                        url = c.generate_presigned_url(
                            "upload_part", ExpiresIn=900,
                            Params={"Bucket": bucket, "Key": key, "UploadId": UPLOAD_ID,
                                    "PartNumber": 7, "ContentLength": length})
                        out.write(json.dumps(dict(base, kind="presign", method="PUT", upload_id=UPLOAD_ID,
                                                  part_number=7, expires=900, content_length=length,
                                                  expected=url)) + "\n")
                        n += 1
                    # a part's checksum, signed as its header (never in the query)
                    for name, value, length in (("sha256", SHA256_OF_X, None), ("sha256", SHA256_OF_X, 1),
                                                ("crc32c", "AAAAAA==", None)):
                        params = {"Bucket": bucket, "Key": key, "UploadId": UPLOAD_ID,
                                  "PartNumber": 7, "Checksum" + name.upper(): value}
                        extra = {}
                        if length is not None:
                            params["ContentLength"] = extra["content_length"] = length
                        url = c.generate_presigned_url("upload_part", ExpiresIn=900, Params=params)
                        out.write(json.dumps(dict(base, kind="presign", method="PUT", upload_id=UPLOAD_ID,
                                                  part_number=7, expires=900,
                                                  checksum_header="x-amz-checksum-" + name,
                                                  checksum=value, expected=url, **extra)) + "\n")
                        n += 1
                    url = c.generate_presigned_url("get_object", ExpiresIn=3600,
                                                   Params={"Bucket": bucket, "Key": key})
                    out.write(json.dumps(dict(base, kind="presign", method="GET", upload_id="",
                                              part_number=0, expires=3600, expected=url)) + "\n")
                    url, body = captured_url(c, "CreateMultipartUpload", {"Bucket": bucket, "Key": key})
                    out.write(json.dumps(dict(base, kind="header", method="POST", query=[["uploads", ""]],
                                              body="", expected_url=url,
                                              expected=header_auth(url, "POST", b"", region, cred))) + "\n")
                    # Create with what s3mpu sets on the object: its headers signed too
                    headers = [["content-type", "image/png"], ["x-amz-checksum-algorithm", "SHA256"],
                               ["x-amz-meta-name", "=?UTF-8?B?w6l0w6k=?="], ["x-amz-meta-a", "b  c"]]
                    out.write(json.dumps(dict(base, kind="header", method="POST", query=[["uploads", ""]],
                                              body="", headers=headers, expected_url=url,
                                              expected=header_auth(url, "POST", b"", region, cred,
                                                                   headers))) + "\n")
                    n += 1
                    url, body = captured_url(c, "CompleteMultipartUpload", {
                        "Bucket": bucket, "Key": key, "UploadId": UPLOAD_ID,
                        "MultipartUpload": {"Parts": [{"ETag": '"abc"', "PartNumber": 1}]}})
                    out.write(json.dumps(dict(base, kind="header", method="POST", query=[["uploadId", UPLOAD_ID]],
                                              body=body.decode(), expected_url=url,
                                              expected=header_auth(url, "POST", body, region, cred))) + "\n")
                    n += 5
                # S3 POST policy (browser form upload), with the conditions s3mpu puts
                # in its own: the C test signs botocore's policy string with s3mpu's
                # signer (JSON formatting differs, so the bytes cannot be compared) and
                # checks s3mpu's policy for the same inputs has the same conditions
                for key in KEYS:
                    for ctype in ("", "video/mp4"):
                        conditions = [["content-length-range", 0, POST_MAX_BYTES]]
                        if ctype:
                            conditions.append({"Content-Type": ctype})
                        post = c.generate_presigned_post(
                            bucket, key, Fields={"Content-Type": ctype} if ctype else None,
                            Conditions=conditions, ExpiresIn=3600)
                        f = post["fields"]
                        out.write(json.dumps(dict(base, key=key, kind="post", content_type=ctype,
                                                  expires=3600, max_bytes=POST_MAX_BYTES,
                                                  url=post["url"], fields=f,
                                                  date=f["x-amz-date"], policy=f["policy"],
                                                  expected=f["x-amz-signature"])) + "\n")
                        n += 1
    print(f"wrote {n} vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
