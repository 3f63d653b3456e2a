#!/usr/bin/env python3
"""AWS credentials from every source s3mpu knows, against real emulators
(tests/lib/credemu.py: IMDSv2, the container endpoint, STS) whose temporary
credentials the S3 gate accepts until they expire: each source alone signs URLs
and header-signed calls the gate accepts (`s3mpu presign`, `s3mpu doctor`), the
sources' order, a machine without any source failing fast, and what a failing
source says. The server's rotation under load is tests/integration/test_rotation.py."""
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import BUCKET, CREDENTIALS, REGION, Stack  # noqa: E402
from curl import curl, presigned_expiry  # noqa: E402
from testrun import run_tests  # noqa: E402

STACK = None
TMP = None
ROLE = "arn:aws:iam::123456789012:role/s3mpu-uploads"


def setUpModule():
    global STACK, TMP
    TMP = tempfile.mkdtemp(prefix="s3mpu-credentials-")
    STACK = Stack(s3_only=True, credemu_lifetime=120)
    STACK.start()
    STACK.s3.put_object(Bucket=BUCKET, Key="creds/probe.txt", Body=b"probe")


def tearDownModule():
    if STACK:
        STACK.stop()


def write(name, text, mode=0o600):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def s3mpu(*args, env=None, timeout=60):
    """Runs the s3mpu binary with a clean environment plus env (no AWS_* of ours)."""
    conf = write("s3mpu.conf", "buckets = %s\nregion = %s\nendpoint = %s\norigins = http://127.0.0.1:1\n"
                 % (BUCKET, REGION, STACK.gate_url))
    base = {"PATH": os.environ["PATH"], "HOME": os.path.join(TMP, "nohome"),
            "AWS_EC2_METADATA_DISABLED": "true"}
    base.update(env or {})
    return subprocess.run([STACK.bin] + list(args) + ["-c", conf], env=base, capture_output=True,
                          text=True, timeout=timeout)


def presign_get(env):
    p = s3mpu("presign", "--bucket", BUCKET, "--key", "creds/probe.txt", env=env)
    return p, p.stdout.strip()


# Each source's own variables (and files), alone.
def env_environment():
    return dict(CREDENTIALS)


def env_directory():
    d = os.path.join(TMP, "credentials-dir")
    os.makedirs(d, exist_ok=True)
    write("credentials-dir/aws_access_key_id", CREDENTIALS["AWS_ACCESS_KEY_ID"] + "\n")
    write("credentials-dir/aws_secret_access_key", CREDENTIALS["AWS_SECRET_ACCESS_KEY"] + "\n")
    return {"CREDENTIALS_DIRECTORY": d}


def env_web_identity():
    token = write("web-identity-token", "web-identity-token\n")
    return {"AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": ROLE,
            "AWS_ROLE_SESSION_NAME": "s3mpu-test", "AWS_ENDPOINT_URL_STS": STACK.credemu_url}


def env_profile(body, name="uploader"):
    conf = write("aws-config", "[profile %s]\n%s" % (name, body))
    creds = write("aws-credentials", "[keys]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                  % (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"]))
    return {"AWS_CONFIG_FILE": conf, "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_PROFILE": name,
            "AWS_ENDPOINT_URL_STS": STACK.credemu_url}


def env_container():
    token = write("container-token", "container-auth-token")
    return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": STACK.credemu_url + "/container/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token}


def env_imds():
    return {"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": STACK.credemu_url}


class EachSource(unittest.TestCase):
    def signs(self, env, source, temporary=True):
        """presign's URL is accepted by the gate; doctor's signed calls too and name the source."""
        p, url = presign_get(env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual("X-Amz-Security-Token=" in url, temporary, url)
        status, _, body = curl("GET", url)
        self.assertEqual((status, body), (200, b"probe"), body[:300])
        d = s3mpu("doctor", env=env)
        self.assertRegex(d.stdout, r"(?m)^ok    credentials source: %s, key (AKIA|ASIA)…, expire %s$"
                         % (re.escape(source), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" if temporary else "never"))
        self.assertRegex(d.stdout, r"(?m)^ok    credentials: S3 accepted a signed ListBuckets$")
        self.assertRegex(d.stdout, r"(?m)^ok    bucket %s: reachable" % BUCKET)
        return url

    def test_environment(self):
        self.signs(env_environment(), "environment", temporary=False)

    def test_credentials_directory(self):
        self.signs(env_directory(), "credentials-directory", temporary=False)

    def test_web_identity(self):
        before = STACK.credemu_control()["issued"]["web-identity"]
        self.signs(env_web_identity(), "web-identity")
        self.assertGreater(STACK.credemu_control()["issued"]["web-identity"], before)

    def test_web_identity_token_is_read_at_each_fetch(self):
        env = env_web_identity()
        write("web-identity-token", "a-rotated-token\n")
        STACK.credemu_control({"webIdentityToken": "a-rotated-token"})
        try:
            self.assertEqual(presign_get(env)[0].returncode, 0)
            write("web-identity-token", "a-stale-token\n")
            p, _ = presign_get(env)
            self.assertEqual(p.returncode, 1)
            self.assertIn("InvalidIdentityToken", p.stderr)
        finally:
            STACK.credemu_control({"webIdentityToken": "web-identity-token"})

    def test_profile_keys(self):
        self.signs(env_profile("aws_access_key_id = %s\naws_secret_access_key = %s\n"
                               % (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"])),
                   "profile", temporary=False)

    def test_profile_credential_process(self):
        self.signs(env_profile("credential_process = curl -sf %s/process\n" % STACK.credemu_url),
                   "credential_process")

    def test_profile_role_from_source_profile(self):
        url = self.signs(env_profile("role_arn = %s\nsource_profile = keys\nrole_session_name = uploads-1\n"
                                     "external_id = ext-42\nduration_seconds = 900\n" % ROLE), "assume-role")
        del url
        call = STACK.credemu_control()["lastAssumeRole"]
        self.assertEqual((call["RoleArn"], call["RoleSessionName"], call["ExternalId"], call["DurationSeconds"]),
                         (ROLE, "uploads-1", "ext-42", "900"))

    def test_profile_role_from_container_credentials(self):
        # AssumeRole signed with temporary credentials (and their session token)
        env = env_profile("role_arn = %s\ncredential_source = EcsContainer\n" % ROLE)
        env.update(env_container())
        self.signs(env, "assume-role")

    def test_container(self):
        self.signs(env_container(), "container")

    def test_container_token_required(self):
        env = env_container()
        write("container-token", "not-the-token")
        try:
            p, _ = presign_get(env)
            self.assertEqual(p.returncode, 1)
            self.assertIn("container: the container endpoint answered HTTP 403", p.stderr)
            del env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
            p, _ = presign_get(env)
            self.assertIn("HTTP 401", p.stderr)
        finally:
            write("container-token", "container-auth-token")

    def test_imds(self):
        self.signs(env_imds(), "imds")


class Order(unittest.TestCase):
    def test_environment_then_web_identity_then_profile_then_container_then_imds(self):
        env = {}
        for part in (env_imds(), env_container(), env_profile(
                "aws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"])),
                env_web_identity(), env_environment()):
            env.update(part)
        for source, drop in (("environment", ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
                             ("web-identity", ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")),
                             ("profile", ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")),
                             ("container", ("AWS_CONTAINER_CREDENTIALS_FULL_URI",)),
                             ("imds", ())):
            with self.subTest(source=source):
                d = s3mpu("doctor", env=env)
                self.assertRegex(d.stdout, r"(?m)^ok    credentials source: %s," % source)
                self.assertRegex(d.stdout, r"(?m)^ok    credentials: S3 accepted a signed ListBuckets$")
            for name in drop:
                env.pop(name)


class NoSource(unittest.TestCase):
    def test_a_machine_without_any_fails_fast_and_says_why(self):
        t0 = time.monotonic()
        p, _ = presign_get({"AWS_EC2_METADATA_DISABLED": "",
                            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"})
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(p.returncode, 1)
        for source in ("environment", "credentials-directory", "web-identity", "profile", "container", "imds"):
            self.assertIn(source + ": ", p.stderr)
        self.assertIn("no AWS credentials", p.stderr)

    def test_a_failing_source_is_not_hidden_by_a_later_one(self):
        env = env_imds()
        env.update({"AWS_WEB_IDENTITY_TOKEN_FILE": os.path.join(TMP, "missing-token"), "AWS_ROLE_ARN": ROLE})
        p, _ = presign_get(env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("web-identity: ", p.stderr)
        self.assertIn("missing-token", p.stderr)

    def test_emulators_require_their_tokens(self):
        # IMDSv2 only: a GET without a session token is refused
        status, _, _ = curl("GET", STACK.credemu_url + "/latest/meta-data/iam/security-credentials/")
        self.assertEqual(status, 401)

    def test_expired_credentials_are_refused_by_the_gate(self):
        # long enough that a slow machine still GETs the URL before it expires
        lifetime = 10
        STACK.credemu_control({"lifetime": lifetime})
        try:
            p, url = presign_get(env_imds())
            self.assertEqual(p.returncode, 0, p.stderr)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            # clamped to the credentials' life (S3 takes no URL that lives 0 s)
            self.assertIn(int(query["X-Amz-Expires"][0]), range(1, lifetime + 1))
            self.assertEqual(curl("GET", url)[0], 200)
            time.sleep(max(0, presigned_expiry(url) - time.time()) + 1)
            status, _, body = curl("GET", url)
            self.assertEqual(status, 403, body)  # expired URL (S3 says the same of its token)
        finally:
            STACK.credemu_control({"lifetime": 120})


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
