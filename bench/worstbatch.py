#!/usr/bin/env python3
"""/api/health latency while one client address sends the worst batch at the site's
rate limit. Run it with bench/worstbatch.

The worst batch: get-upload-urls with a 1024-byte key of two-byte UTF-8 characters
and a 1024-character upload id of '+' (each byte percent-encoded to three in every
URL), and as many parts as s3mpu's 413 BatchTooLarge says fit in its 1 MiB answer.
Signing needs no real upload, so none is made.

The nginx site is nginx/s3mpu.conf.in as shipped, limit_req ON (50 r/s per address,
burst 200, 429 past it). The batch client is wrk from 127.0.0.1, trying more than
the limit (--attempt-rate) so that nginx lets exactly the limit through. The health
client is a second wrk from another address (::1: the site gets one more `listen`
line for it), under the limit (--health-rate) so that none of its calls are 429s.
Health is measured first alone, then during the batch load (after a 3 s warm-up of
it). s3mpu's VmRSS is read every 0.25 s.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import wrkbench as wb

NAME = "\u00e9" * 512  # 1024 bytes of key
UPLOAD_ID = "+" * 1024
WARMUP = 3


def paced_wrk(url, connections, rate, seconds):
    """wrk with wrk_paced.lua: about `rate` requests a second over `connections`."""
    interval = max(1, int(connections * 1000 / rate))
    cmd = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s", "--latency",
           "-s", os.path.join(wb.BENCH, "wrk_paced.lua"), url, "--", str(interval)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^WRKJSON (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%s):\n%s" % (out.returncode, out.stdout))
    r = json.loads(m.group(1))
    r["seconds"] = r["duration_us"] / 1e6
    r["errors"] = sum(r[k] for k in ("connect", "read", "write", "timeout"))
    return r


def batch_url(base, parts):
    return base + "/api/get-upload-urls?" + urllib.parse.urlencode(
        {"fileName": NAME, "uploadId": UPLOAD_ID, "partNumbers": "1-%d" % parts}, quote_via=urllib.parse.quote)


def parts_that_fit(base):
    status, body = wb.get(batch_url(base, 1000))
    if status == 200:
        return 1000
    m = re.search(r"at most (\d+) parts", body)
    if status != 413 or not m:
        raise RuntimeError("get-upload-urls of 1000 parts: %s %s" % (status, body[:300]))
    return int(m.group(1))


def ms(us):
    return us / 1000.0


def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", 30)),
                   help="seconds health is measured, alone and under load (BENCH_DURATION, default 30)")
    p.add_argument("--attempt-rate", type=int, default=int(env("BENCH_ATTEMPT_RATE", 100)),
                   help="batch requests a second tried from one address (BENCH_ATTEMPT_RATE, default 100)")
    p.add_argument("--health-rate", type=int, default=int(env("BENCH_HEALTH_RATE", 40)),
                   help="health requests a second, under the limit (BENCH_HEALTH_RATE, default 40)")
    p.add_argument("--parts", type=int, help="parts a batch (default: as many as fit)")
    p.add_argument("--s3mpu-threads", type=int, default=int(env("BENCH_S3MPU_THREADS", 4)),
                   help="s3mpu worker threads (BENCH_S3MPU_THREADS, default 4)")
    a = p.parse_args()

    v6_port = wb.stacklib.free_port()
    stack = wb.stacklib.Stack(threads=a.s3mpu_threads, server_conf="    listen [::1]:%d;\n" % v6_port)
    samples = []
    stop = threading.Event()
    try:
        stack.start()
        pid = stack.s3mpu_pid
        health = "http://[::1]:%d/api/health" % v6_port
        status, body = wb.get(health)
        if status != 200:
            raise RuntimeError("health over ::1: %s %s" % (status, body))
        parts = a.parts or parts_that_fit(stack.base_url)
        url = batch_url(stack.base_url, parts)
        status, body = wb.get(url)
        if status != 200 and not a.parts:
            raise RuntimeError("the worst batch: %s %s" % (status, body[:300]))
        answer_bytes = len(body.encode())
        time.sleep(5)  # the limit's burst, spent above, fills again
        print("bench/worstbatch %s: batch of %d parts (answer %d bytes, status %d) tried at %d r/s "
              "from 127.0.0.1; health at %d r/s from ::1; %d s each; s3mpu threads %d; "
              "limit_req ON (50 r/s, burst 200); load %s"
              % (wb.now(), parts, answer_bytes, status, a.attempt_rate, a.health_rate, a.duration,
                 a.s3mpu_threads, wb.load_average()), flush=True)

        rss_idle = wb.proc_kib(pid, "VmRSS")
        alone = paced_wrk(health, 4, a.health_rate, a.duration)

        def sample():
            while not stop.is_set():
                samples.append(wb.proc_kib(pid, "VmRSS") or 0)
                time.sleep(0.25)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load = {}
        loader = threading.Thread(target=lambda: load.update(
            r=paced_wrk(url, 20, a.attempt_rate, a.duration + 2 * WARMUP)))
        loader.start()
        time.sleep(WARMUP)
        loaded = paced_wrk(health, 4, a.health_rate, a.duration)
        loader.join()
        stop.set()
        sampler.join()
        batch = load["r"]
        hwm = wb.proc_kib(pid, "VmHWM")
        dead = stack.dead()
        if dead:
            raise RuntimeError("%s died during the bench" % dead)
    finally:
        stop.set()
        stack.stop()

    print()
    print("| /api/health            | requests | p50 ms | p99 ms | max ms | 429 | errors |")
    print("|------------------------|---------:|-------:|-------:|-------:|----:|-------:|")
    for what, r in (("alone", alone), ("under the worst batch", loaded)):
        print("| %-22s | %8d | %6.2f | %6.2f | %6.2f | %3d | %6d |"
              % (what, r["requests"], ms(r["p50_us"]), ms(r["p99_us"]), ms(r["max_us"]), r["limited"],
                 r["errors"] + r["other"]))
    print()
    print("worst batch: %d parts; %.1f answered/s (2xx), %.1f refused/s (429), %d other, %d socket errors "
          "over %.0f s; its own p50 %.1f ms, p99 %.1f ms"
          % (parts, batch["ok"] / batch["seconds"], batch["limited"] / batch["seconds"], batch["other"],
             batch["errors"], batch["seconds"], ms(batch["p50_us"]), ms(batch["p99_us"])))
    print("s3mpu RSS: %.1f MB idle, %.1f MB at most under load (VmRSS every 0.25 s), peak %.1f MB (VmHWM)"
          % (rss_idle / 1024, max(samples or [0]) / 1024, (hwm or 0) / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
