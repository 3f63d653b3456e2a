#!/usr/bin/env python3
"""Signing API under load: wrk against nginx -> s3mpu and against Uppy Companion, same
machine, same moto_server, same connections and duration. Run it with bench/api.

Each target is a real upload's part-signing route (the uploadId comes from a real
CreateMultipartUpload made through that server): first a warm-up, then the measured
run. Figures: requests/s, p50/p99 latency (wrk --latency), errors (socket errors and
statuses > 399, plus non-2xx counted in each server's access log), and each server's
peak RSS (VmHWM in /proc/PID/status: the s3mpu process; Companion's node process).

nginx's site is rendered from nginx/s3mpu.conf.in as the tests do, but without its
`limit_req` lines (Stack(limit_req=False)): at 50 r/s per address the bench would
measure nginx's 429s. Everything else in the site is as shipped.
"""
import argparse
import json
import os
import sys

import wrkbench as wb

PARTS = 100  # parts per batch call


def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", 10)),
                   help="seconds per measured run (BENCH_DURATION, default 10)")
    p.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", 2)),
                   help="seconds of warm-up before each run (BENCH_WARMUP, default 2)")
    p.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", 64)),
                   help="wrk connections (BENCH_CONNECTIONS, default 64)")
    p.add_argument("--wrk-threads", type=int, default=int(env("BENCH_WRK_THREADS", 2)),
                   help="wrk threads (BENCH_WRK_THREADS, default 2)")
    p.add_argument("--s3mpu-threads", type=int, default=int(env("BENCH_S3MPU_THREADS", 4)),
                   help="s3mpu worker threads (BENCH_S3MPU_THREADS, default 4 as in the tests)")
    p.add_argument("--nginx-workers", type=int, default=int(env("BENCH_NGINX_WORKERS", 1)),
                   help="nginx worker_processes (BENCH_NGINX_WORKERS, default 1 as in the tests)")
    p.add_argument("--only", choices=["s3mpu", "companion"], help="one server only")
    a = p.parse_args()

    script = os.path.join(wb.BENCH, "wrk_report.lua")
    stack = wb.stacklib.Stack(limit_req=False, threads=a.s3mpu_threads,
                              nginx_workers=a.nginx_workers)
    companion = None
    rows, raw = [], []
    try:
        stack.start()
        targets = []
        if a.only != "companion":
            key, uid = wb.s3mpu_upload(stack, "bench-api.bin")
            q = lambda **kw: wb.urllib.parse.urlencode(dict(bucket=wb.stacklib.BUCKET, fileName="bench-api.bin",
                                                            uploadId=uid, **kw))
            base = stack.base_url + "/api/"
            targets += [
                ("s3mpu", "get-upload-url (1 URL)", base + "get-upload-url?" + q(partNumber=7), uid, 1),
                ("s3mpu", "get-upload-urls (%d URLs)" % PARTS,
                 base + "get-upload-urls?" + q(partNumbers="1-%d" % PARTS), uid, PARTS),
                ("s3mpu", "Companion route /api/s3/multipart/U/7",
                 base + "s3/multipart/%s/7?key=%s" % (wb.urllib.parse.quote(uid, safe=""),
                                                      wb.urllib.parse.quote(key, safe="")), uid, 1),
            ]
        if a.only != "s3mpu":
            companion = wb.Companion(stack.s3_url).start()
            ckey, cuid = companion.upload("bench-api.bin")
            cbase = companion.base_url + "/s3/multipart/" + wb.urllib.parse.quote(cuid, safe="")
            ck = wb.urllib.parse.quote(ckey, safe="")
            targets += [
                ("companion", "/s3/multipart/U/7 (1 URL)", cbase + "/7?key=" + ck, cuid, 1),
                ("companion", "/s3/multipart/U/batch (%d URLs)" % PARTS,
                 cbase + "/batch?key=%s&partNumbers=%s" % (ck, ",".join(str(i) for i in range(1, PARTS + 1))),
                 cuid, PARTS),
            ]
        for server, route, url, uid, urls in targets:
            wb.expect_signed(url, uid, route)
        print("bench/api %s: %d connections, %d wrk threads, %d s runs after %d s warm-up; "
              "s3mpu threads %d, nginx workers %d, limit_req off (bench only); load %s"
              % (wb.now(), a.connections, a.wrk_threads, a.duration, a.warmup, a.s3mpu_threads,
                 a.nginx_workers, wb.load_average()), flush=True)
        for server, route, url, uid, urls in targets:
            pid = stack.s3mpu_pid if server == "s3mpu" else companion.pid
            if a.warmup:
                wb.run_wrk(url, a.connections, a.warmup, a.wrk_threads, script)
            r = wb.run_wrk(url, a.connections, a.duration, a.wrk_threads, script)
            r.update(server=server, route=route, urls=urls, hwm_kib=wb.proc_kib(pid, "VmHWM"),
                     rss_kib=wb.proc_kib(pid, "VmRSS"), load=wb.load_average())
            if server == "s3mpu":
                r["nginx_worker_hwm_kib"] = [wb.proc_kib(w, "VmHWM") for w in
                                             wb.children(stack.procs["nginx"].pid)]
            rows.append(r)
            print("  %-9s %-40s %9.0f req/s  p99 %.2f ms  errors %d" %
                  (server, route, r["rps"], r["p99_us"] / 1000, r["errors"]), flush=True)
        logs = {"nginx": wb.count_statuses(stack.log("nginx-access"))}
        if companion:
            logs["companion"] = wb.count_statuses(companion.log)
        alive = stack.dead()
        if alive:
            raise RuntimeError("%s died during the bench" % alive)
    finally:
        if companion:
            companion.stop()
        stack.stop()

    print()
    print("| server    | route                                   |    req/s | URLs/s    | p50 ms | p99 ms | errors | peak RSS |")
    print("|-----------|-----------------------------------------|---------:|----------:|-------:|-------:|-------:|---------:|")
    for r in rows:
        print("| %-9s | %-39s | %8.0f | %9.0f | %6.2f | %6.2f | %6d | %5.1f MB |" %
              (r["server"], r["route"], r["rps"], r["rps"] * r["urls"], r["p50_us"] / 1000,
               r["p99_us"] / 1000, r["errors"], (r["hwm_kib"] or 0) / 1024))
    print()
    by = {(r["server"], r["urls"], "Companion route" in r["route"]): r for r in rows}
    for urls in (1, PARTS):
        s, c = by.get(("s3mpu", urls, False)), by.get(("companion", urls, False))
        if s and c:
            print("s3mpu / Companion req/s, %d URL%s a request: %.1f×" %
                  (urls, "" if urls == 1 else "s", s["rps"] / c["rps"]))
    s, c = by.get(("s3mpu", 1, True)), by.get(("companion", 1, False))
    if s and c:
        print("s3mpu / Companion req/s, same Companion route: %.1f×" % (s["rps"] / c["rps"]))
    nginx_hwm = [r["nginx_worker_hwm_kib"] for r in rows if "nginx_worker_hwm_kib" in r]
    print("peak RSS: VmHWM since start, read after each run (s3mpu: the s3mpu process; "
          "nginx's worker apart: %s KiB; Companion: its node process)" %
          ",".join(str(k) for k in (nginx_hwm[-1] if nginx_hwm else [])))
    print("non-2xx in access logs: %s" % json.dumps({k: {s: n for s, n in v.items() if not s.startswith("2")}
                                                      for k, v in logs.items()}))
    for r in rows:
        print("raw: %s %s rps=%.1f requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
              "connect=%d read=%d write=%d status=%d timeout=%d vmhwm_kib=%s vmrss_kib=%s load=%s" %
              (r["server"], r["route"].split(" (")[0].replace(" ", "_"), r["rps"], r["requests"], r["duration_us"], r["p50_us"],
               r["p90_us"], r["p99_us"], r["max_us"], r["connect"], r["read"], r["write"], r["status"],
               r["timeout"], r["hwm_kib"], r["rss_kib"], r["load"].replace(" ", "/")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
