#!/usr/bin/env python3
"""Soak: a million signing requests (get-upload-url, one real upload) through nginx to
s3mpu with wrk, each wrk thread stopping after its share (bench/wrk_soak.lua), while
s3mpu's VmRSS is read from /proc every second. Run it with bench/soak.

Prints start RSS (after start-up and one request, before the load), end RSS (after the
load), max RSS seen, requests done, errors (socket errors + non-2xx answers). The nginx
site is nginx/s3mpu.conf.in without its limit_req lines (Stack(limit_req=False)).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import wrkbench as wb


def run_soak_wrk(url, a):
    """wrk with wrk_soak.lua; SIGINT to wrk once each thread has done its share (wrk
    would otherwise sleep out -d). Duration: from start to the last thread's end."""
    cmd = ["wrk", "-t%d" % a.wrk_threads, "-c%d" % a.connections, "-d%ds" % a.max_seconds,
           "--timeout", "5s", "--latency", "-s", os.path.join(wb.BENCH, "wrk_soak.lua"), url,
           "--", str(a.requests), str(a.wrk_threads)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finished, seconds, text = 0, None, []
    for line in proc.stdout:
        text.append(line)
        if line.startswith("SOAKDONE "):
            finished += 1
            if finished == a.wrk_threads:
                seconds = time.monotonic() - t0
                proc.send_signal(signal.SIGINT)
    proc.wait()
    text = "".join(text)
    m = re.search(r"^WRKJSON (\{.*\})$", text, re.M)
    if not m:
        raise RuntimeError("wrk failed (%s):\n%s" % (proc.returncode, text))
    r = json.loads(m.group(1))
    r["seconds"] = seconds if seconds is not None else r["duration_us"] / 1e6
    r["rps"] = r["requests"] / r["seconds"]
    r["text"] = text
    return r


def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=int(env("BENCH_REQUESTS", 1000000)),
                   help="requests in all (BENCH_REQUESTS, default 1000000)")
    p.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", 64)),
                   help="wrk connections (BENCH_CONNECTIONS, default 64)")
    p.add_argument("--wrk-threads", type=int, default=int(env("BENCH_WRK_THREADS", 2)),
                   help="wrk threads (BENCH_WRK_THREADS, default 2)")
    p.add_argument("--s3mpu-threads", type=int, default=int(env("BENCH_S3MPU_THREADS", 4)),
                   help="s3mpu worker threads (BENCH_S3MPU_THREADS, default 4)")
    p.add_argument("--max-seconds", type=int, default=int(env("BENCH_MAX_SECONDS", 1800)),
                   help="give up after this long (BENCH_MAX_SECONDS, default 1800)")
    a = p.parse_args()

    stack = wb.stacklib.Stack(limit_req=False, threads=a.s3mpu_threads)
    samples = []  # (seconds since the load started, VmRSS KiB)
    done = threading.Event()
    try:
        stack.start()
        pid = stack.s3mpu_pid
        key, uid = wb.s3mpu_upload(stack, "bench-soak.bin")
        url = stack.base_url + "/api/get-upload-url?" + wb.urllib.parse.urlencode(
            {"bucket": wb.stacklib.BUCKET, "fileName": "bench-soak.bin", "partNumber": 7, "uploadId": uid})
        wb.expect_signed(url, uid, "get-upload-url")
        start_rss = wb.proc_kib(pid, "VmRSS")
        print("bench/soak %s: %d requests, %d connections, %d wrk threads, s3mpu threads %d, "
              "limit_req off (bench only); load %s" % (wb.now(), a.requests, a.connections,
                                                      a.wrk_threads, a.s3mpu_threads, wb.load_average()),
              flush=True)

        t0 = time.monotonic()

        def sample():
            while not done.is_set():
                rss = wb.proc_kib(pid, "VmRSS")
                if rss is not None:
                    samples.append((time.monotonic() - t0, rss))
                    n = len(samples)
                    if n % 30 == 0:
                        print("  %4d s  VmRSS %d KiB" % (n, rss), flush=True)
                done.wait(1.0)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            r = run_soak_wrk(url, a)
        finally:
            done.set()
            sampler.join()
        time.sleep(1)
        end_rss = wb.proc_kib(pid, "VmRSS")
        hwm = wb.proc_kib(pid, "VmHWM")
        statuses = wb.count_statuses(stack.log("nginx-access"))
        dead = stack.dead()
    finally:
        done.set()
        stack.stop()
    if dead:
        print("%s died during the soak" % dead)
        return 1

    errors = r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"]
    max_rss = max(s[1] for s in samples) if samples else end_rss
    # the last minute against the first after warm-up: a steady climb shows a leak
    early = [s[1] for s in samples if 5 <= s[0] < 65]
    late = [s[1] for s in samples if s[0] >= samples[-1][0] - 60] if samples else []
    print()
    print("| requests done | errors | seconds | req/s | start RSS | end RSS | max RSS | p99 ms |")
    print("|--------------:|-------:|--------:|------:|----------:|--------:|--------:|-------:|")
    print("| %13d | %6d | %7.1f | %5.0f | %6.1f MB | %4.1f MB | %4.1f MB | %6.2f |" %
          (r["requests"], errors, r["seconds"], r["rps"], start_rss / 1024, end_rss / 1024,
           max_rss / 1024, r["p99_us"] / 1000))
    print()
    if early and late:
        print("VmRSS: mean of seconds 5-65 %.1f MB, mean of the last 60 s %.1f MB" %
              (sum(early) / len(early) / 1024, sum(late) / len(late) / 1024))
    print("non-2xx in nginx's access log: %s (499: wrk closing requests in flight when it stops)" %
          {s: n for s, n in statuses.items() if not s.startswith("2")})
    print("raw: requests=%d answered_by_script=%d seconds=%.2f rps=%.1f connect=%d read=%d write=%d "
          "timeout=%d status=%d non2xx=%d p50_us=%d p99_us=%d max_us=%d start_rss_kib=%d end_rss_kib=%d "
          "max_rss_kib=%d vmhwm_kib=%d samples=%d" %
          (r["requests"], r["answered"], r["seconds"], r["rps"], r["connect"], r["read"], r["write"],
           r["timeout"], r["status"], r["non2xx"], r["p50_us"], r["p99_us"], r["max_us"], start_rss,
           end_rss, max_rss, hwm, len(samples)))
    step = max(1, len(samples) // 20)
    print("raw VmRSS KiB every %d s: %s" % (step, " ".join(str(s[1]) for s in samples[::step])))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
