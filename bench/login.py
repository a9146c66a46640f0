#!/usr/bin/env python3
"""Sign-in benchmark at OWASP argon2id parameters, against the release server on a fresh SQLite file.

Measures (1) throughput with N concurrent clients signing in as fast as they can, and (2) latency
percentiles at a fixed arrival rate (default 20 sign-ins per second). Prints a table and writes it to
bench-results/login.md. Usage: python3 bench/login.py [--rate 20] [--seconds 15] [--concurrency 4]
Needs a release build (cargo leptos build --release). Uses only the Python standard library.
"""
import argparse, concurrent.futures as cf, os, platform, statistics, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "violet staircase at noon"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def post(base, path, form):
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base + path, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def login_once(base, email):
    started = time.perf_counter()
    status = post(base, "/api/login", {"email": email, "password": PASSWORD})
    return (time.perf_counter() - started) * 1000, status < 400


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    binary = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "crm"
    if not binary.exists():
        sys.exit(f"{binary} is missing: run cargo leptos build --release first")
    work = tempfile.mkdtemp(prefix="crm-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=f"sqlite://{work}/crm.db", LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
               LEPTOS_SITE_ROOT=str(ROOT / "target" / "site"), RUST_LOG="warn",
               # The benchmark signs in thousands of times from one address: lift the brute-force limits.
               CRM_LOGIN_ATTEMPTS_PER_ACCOUNT="100000000", CRM_LOGIN_ATTEMPTS_PER_IP="100000000")
    server = subprocess.Popen([str(binary)], env=env)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        email = "bench@example.com"
        assert post(base, "/api/signup", {"name": "Bench", "email": email, "password": PASSWORD}) < 400

        # 1. Closed loop: how many sign-ins per second the machine sustains.
        stop = time.perf_counter() + args.seconds
        latencies, errors, lock = [], 0, threading.Lock()

        def worker():
            nonlocal errors
            while time.perf_counter() < stop:
                ms, ok = login_once(base, email)
                with lock:
                    latencies.append(ms)
                    errors += 0 if ok else 1

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.perf_counter() - started
        closed = (len(latencies) / elapsed, percentile(latencies, 50), percentile(latencies, 99), errors, len(latencies))

        # 2. Open loop: latency at a fixed arrival rate.
        total = int(args.rate * args.seconds)
        results = []
        with cf.ThreadPoolExecutor(max_workers=64) as pool:
            futures, t0 = [], time.perf_counter()
            for i in range(total):
                delay = t0 + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(login_once, base, email))
            results = [f.result() for f in futures]
        open_lat = [ms for ms, _ in results]
        open_errors = sum(1 for _, ok in results if not ok)
        rss_kb = int(next(l for l in open(f"/proc/{server.pid}/status") if l.startswith("VmRSS")).split()[1])
    finally:
        server.terminate()
        server.wait()

    lines = [
        f"# Sign-in benchmark ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, SQLite)",
        "",
        "argon2id m=19 MiB, t=2, p=1; release build; one account; brute-force limits lifted for the run.",
        "",
        "| mode | sign-ins | req/s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
        f"| closed loop, {args.concurrency} clients | {closed[4]} | {closed[0]:.1f} | {closed[1]:.1f} | "
        f"{percentile(latencies, 90):.1f} | {closed[2]:.1f} | {closed[3]} |",
        f"| open loop, {args.rate:g}/s | {len(open_lat)} | {len(open_lat) / args.seconds:.1f} | "
        f"{percentile(open_lat, 50):.1f} | {percentile(open_lat, 90):.1f} | {percentile(open_lat, 99):.1f} | {open_errors} |",
        "",
        f"Server RSS after the run: {rss_kb / 1024:.1f} MiB.",
    ]
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "login.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
