#!/usr/bin/env python3
"""The AI persona against a slow OpenAI-compatible endpoint (Python 3 standard library only).

Starts a fake chat-completions endpoint that answers every request after DELAY ms, and the release
server configured to use it (bench/ai-throughput.sh passes the binary and the database), then:

1. Replies per second: LEADS leads start a conversation on the public chat at once (their owner's
   strategy answers on its own with no delay); times until every lead has the AI's reply stored,
   and reports the endpoint's largest number of requests in flight (the worker's bounded pool).
2. Waiting replies: WAITING more leads start conversations with an owner whose strategy waits an
   hour before answering; reports the server's resident memory before and after, and checks that
   the replies wait in the durable queue and none is sent early.

Usage: ai-throughput.py BINARY DATABASE_URL [REDIS_URL PREFIX] [--leads N] [--waiting N] [--delay MS]
"""
import http.client, http.cookiejar, json, os, socket, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def option(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


LEADS, WAITING, DELAY_MS = option("--leads", 200), option("--waiting", 1000), option("--delay", 500)
positional = [arg for i, arg in enumerate(sys.argv[1:], 1) if not arg.startswith("--") and not sys.argv[i - 1].startswith("--")]
BINARY, DATABASE_URL = positional[0], positional[1]
REDIS = positional[2:4] if len(positional) >= 4 else None


class Endpoint(BaseHTTPRequestHandler):
    """Answers every completion after DELAY_MS, and counts the requests in flight."""

    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0
    answered = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Endpoint.lock:
            Endpoint.in_flight += 1
            Endpoint.most_in_flight = max(Endpoint.most_in_flight, Endpoint.in_flight)
        time.sleep(DELAY_MS / 1000)
        body = json.dumps({
            "id": "bench", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Thanks! How big is your team?"}}],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with Endpoint.lock:
            Endpoint.in_flight -= 1
            Endpoint.answered += 1

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Owner:
    """A signed-in owner whose public chat answers with `delay` seconds of reply delay."""

    def __init__(self, base, name, delay):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        email = f"{name.lower().replace(' ', '.')}-{time.time_ns()}@example.com"
        self.post("/api/signup", {"name": name, "email": email, "password": "throughput lantern harbour"})
        self.post("/api/create_strategy", {
            "name": f"{name} persona", "creativity": "5", "reply_delay_min": str(delay),
            "reply_delay_max": str(delay), "default_ai_mode": "auto", "ai_message_cap": "500",
        })
        profile = {"name": name, "timezone": "Europe/Lisbon", "booking_enabled": "on"}
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]:
            profile.update({f"hours[{day}_on]": "on", f"hours[{day}_start]": "08:00", f"hours[{day}_end]": "20:00"})
        self.post("/api/update_profile", profile)
        links = json.loads(self.post("/api/load_booking_links", {}))
        self.slug = links["page_path"].rsplit("/", 1)[-1]

    def post(self, path, form):
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(form).encode(),
            headers={"Origin": self.base, "Accept": "application/json"})
        with self.opener.open(request) as response:
            return response.read()


def start_talk(base, slug, number):
    form = urllib.parse.urlencode({
        "slug": slug, "name": f"Lead {number}", "email": f"lead{number}-{time.time_ns()}@example.com",
        "phone": "", "body": "Hi, I would like a demo", "timezone": "Europe/Lisbon",
    }).encode()
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("POST", "/api/start_talk", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": base, "Accept": "application/json"})
    status = conn.getresponse().status
    conn.close()
    if status >= 400:
        raise RuntimeError(f"start_talk answered {status}")


def count(sql):
    if DATABASE_URL.startswith("sqlite://"):
        with sqlite3.connect(DATABASE_URL.removeprefix("sqlite://")) as db:
            return db.execute(sql).fetchone()[0]
    out = subprocess.run(["psql", DATABASE_URL, "-tAc", sql], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def waiting_jobs():
    if REDIS is None:
        return count("SELECT COUNT(*) FROM jobs WHERE queue = 'ai-reply'")
    url, prefix = REDIS
    out = subprocess.run(["redis-cli", "-u", url, "ZCARD", f"{prefix}jobs:{{ai-reply}}:due"],
                         check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def main():
    endpoint_port = free_port()
    endpoint = ThreadingHTTPServer(("127.0.0.1", endpoint_port), Endpoint)
    endpoint.daemon_threads = True
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ["PATH"], "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}", "RUST_LOG": "warn",
        "DATABASE_URL": DATABASE_URL, "CRM_ALLOW_SIGNUP": "true", "CRM_BOOKING_ATTEMPTS_PER_IP": "1000000",
        "AI_BASE_URL": f"http://127.0.0.1:{endpoint_port}/v1", "AI_API_KEY": "sk-bench", "AI_MODEL": "bench",
        "AI_TIMEOUT_SECS": "30",
    }
    if REDIS:
        env.update({"REDIS_URL": REDIS[0], "REDIS_KEY_PREFIX": REDIS[1]})
    log = tempfile.NamedTemporaryFile(prefix="ai-throughput-", suffix=".log", delete=False)
    server = subprocess.Popen([BINARY], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"the server did not start; see {log.name}")
            time.sleep(0.1)

        quick = Owner(base, "Quick Owner", 0)
        ai_replies = "SELECT COUNT(*) FROM messages WHERE role = 'ai'"
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda n: start_talk(base, quick.slug, n), range(LEADS)))
        posted = time.monotonic() - started
        while count(ai_replies) < LEADS:
            if time.monotonic() - started > 600:
                sys.exit(f"only {count(ai_replies)} of {LEADS} replies after 10 minutes; see {log.name}")
            time.sleep(0.05)
        took = time.monotonic() - started
        print(f"| endpoint answers in {DELAY_MS} ms | {LEADS} leads posted in {posted:.2f} s "
              f"| all {LEADS} replies stored after {took:.2f} s | {LEADS / took:.1f} replies/s "
              f"| at most {Endpoint.most_in_flight} requests in flight |")

        slow = Owner(base, "Slow Owner", 3600)
        before_rss = rss_kib(server.pid)
        replies_before = count(ai_replies)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda n: start_talk(base, slow.slug, LEADS + n), range(WAITING)))
        posted = time.monotonic() - started
        time.sleep(2)
        after_rss = rss_kib(server.pid)
        waiting = waiting_jobs()
        early = count(ai_replies) - replies_before
        print(f"| {WAITING} leads whose replies wait an hour | posted in {posted:.2f} s | {waiting} reply jobs "
              f"waiting | {early} sent early | RSS {before_rss / 1024:.1f} MiB before, {after_rss / 1024:.1f} MiB "
              f"after |")
        if waiting != WAITING or early != 0:
            sys.exit("the waiting replies are not where they should be")
    finally:
        server.terminate()
        server.wait(timeout=30)
        endpoint.shutdown()


if __name__ == "__main__":
    main()
