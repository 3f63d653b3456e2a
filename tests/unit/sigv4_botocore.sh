#!/bin/sh
# Generates signatures with botocore (clock frozen), then checks s3mpu's signer
# gives the same for every one.
set -eu

vectors=$(mktemp)
trap 'rm -f "$vectors"' EXIT
python3 "$srcdir/tests/unit/botocore_vectors.py" > "$vectors"
exec ${TEST_WRAPPER:-} ./tests/unit/test_sigv4_botocore "$vectors"
