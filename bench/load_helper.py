#!/usr/bin/env python3
"""Helpers for bench/load.sh (Python 3 standard library only). Not meant to be run by hand.

  wait-ready URL START_NS TIMEOUT_S   poll URL every 5 ms until it answers 200; print the seconds
                                      since START_NS (a `date +%s%N` taken just before the server
                                      was started)
  login BASE EMAIL PASSWORD           sign in through POST /api/login; print the session cookie
                                      as `name=value`
  discover BASE COOKIE DEEP_PAGES     check that /clients renders the signed-in list, follow its
                                      rel="next" link DEEP_PAGES times, and print `deep=PATH`,
                                      `client=ID` (first row of the first page) and `strategy=ID`
                                      (the first strategy the new-client form offers)
  parse-oha FILE [EXPECTED]           one oha JSON result -> `requests rps p50 p90 p99 errors
  parse-wrk FILE [EXPECTED]           statuses` (ms; errors = status >= 400 + transport errors,
                                      except the status EXPECTED, an answer the endpoint is meant
                                      to give: 409 for the losers of a contended booking; wrk
                                      reports no codes, so there it counts as an error)
  report RESULTS META OUT             render the Markdown report from the TSV results and the
                                      key=value metadata file; write it to OUT and print it
"""
import html, http.client, json, re, sys, time, urllib.parse


def request(base, method, path, body=None, headers=None, timeout=30):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def form_headers(base, cookie=None):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
    if cookie:
        headers["Cookie"] = cookie
    return headers


def wait_ready(url, start_ns, timeout):
    start_ns, deadline = int(start_ns), time.monotonic() + float(timeout)
    parts = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                print(f"{(time.time_ns() - start_ns) / 1e9:.3f}")
                return 0
        except OSError:
            pass
        time.sleep(0.005)
    return 1


def login(base, email, password):
    body = urllib.parse.urlencode({"email": email, "password": password})
    status, headers, text = request(base, "POST", "/api/login", body, form_headers(base))
    cookies = [value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie"]
    if status >= 400 or not cookies:
        sys.exit(f"sign-in as {email} failed: HTTP {status} {text[:300]!r}")
    print("; ".join(cookies))
    return 0


def get_page(base, cookie, path, marker='data-testid="clients-table"', what="the clients list"):
    status, _, body = request(base, "GET", path, headers={"Cookie": cookie})
    text = body.decode("utf-8", "replace")
    if status != 200 or marker not in text:
        sys.exit(f"GET {path} did not render {what} (HTTP {status}): signed out or empty data set?")
    return text


def follow_next(base, cookie, path, pages, pattern, **expect):
    """The path reached from `path` by following the link matching `pattern` up to `pages` times."""
    page = get_page(base, cookie, path, **expect)
    for _ in range(int(pages)):
        link = re.search(pattern, page)
        if not link:
            break
        path = html.unescape(link.group(1))
        page = get_page(base, cookie, path, **expect)
    return path


def discover(base, cookie, deep_pages):
    first = get_page(base, cookie, "/clients")
    client = re.search(r'href="/clients/(\d+)"', first)
    if not client:
        sys.exit("no client link on the first page of /clients")
    page, path = first, "/clients"
    for _ in range(int(deep_pages)):
        link = re.search(r'<a[^>]*href="([^"]+)"[^>]*rel="next"', page) or re.search(
            r'<a[^>]*rel="next"[^>]*href="([^"]+)"', page)
        if not link:
            break
        path = html.unescape(link.group(1))
        page = get_page(base, cookie, path)
    inbox = {"marker": 'class="inbox-link"', "what": "the inbox"}
    inbox_deep = follow_next(
        base, cookie, "/chat", deep_pages, r'<a[^>]*href="([^"]+)"[^>]*data-testid="inbox-older"', **inbox)
    status, _, body = request(base, "POST", "/api/client_editor", "", form_headers(base, cookie))
    try:
        strategy = json.loads(body)["strategies"][0][0]
    except (ValueError, KeyError, IndexError):
        sys.exit(f"POST /api/client_editor gave no strategy (HTTP {status}): {body[:300]!r}")
    print(f"deep={path}\ninbox_deep={inbox_deep}\nclient={client.group(1)}\nstrategy={strategy}")
    return 0


def parse_oha(path, expected=""):
    data = json.load(open(path))
    summary = data["summary"]
    pct = data.get("latencyPercentiles") or {}
    statuses = {int(code): n for code, n in (data.get("statusCodeDistribution") or {}).items()}
    # Requests still in flight at the deadline are cancelled by oha, not failed by the server.
    transport = {msg: n for msg, n in (data.get("errorDistribution") or {}).items() if "deadline" not in msg}
    requests = sum(statuses.values())
    errors = sum(n for code, n in statuses.items() if code >= 400 and str(code) != expected)
    errors += sum(transport.values())
    ms = lambda key: (pct.get(key) or 0) * 1000
    rps = requests / (summary.get("total") or 1)
    status_text = ",".join(f"{code}:{n}" for code, n in sorted(statuses.items()))
    if transport:
        status_text += "," + ",".join(f"{msg[:60]}:{n}" for msg, n in transport.items())
    print(f"{requests}\t{rps:.1f}\t{ms('p50'):.2f}\t{ms('p90'):.2f}\t{ms('p99'):.2f}\t{errors}\t{status_text or '-'}")
    return 0


def parse_wrk(path, _expected=""):
    line = next(line for line in open(path) if line.startswith("BENCH "))
    requests, duration_us, p50, p90, p99, connect, read, write, status, timeout = line.split()[1:]
    errors = int(connect) + int(read) + int(write) + int(status) + int(timeout)
    rps = int(requests) / (float(duration_us) / 1e6)
    print(f"{requests}\t{rps:.1f}\t{float(p50) / 1000:.2f}\t{float(p90) / 1000:.2f}\t{float(p99) / 1000:.2f}\t"
          f"{errors}\tnon-2xx/3xx:{status}")
    return 0


def report(results, meta_path, out):
    meta = dict(line.rstrip("\n").split("=", 1) for line in open(meta_path) if "=" in line)
    rows = [line.rstrip("\n").split("\t") for line in open(results) if line.strip()]
    # name, path, mode, requests, rps, p50, p90, p99, errors, statuses, peak_kib
    ceiling = next((float(r[4]) for r in rows if r[0] == "healthz"), 0)
    lines = [f"# HTTP load test: {meta.get('label', '')}", ""]
    lines += [f"- date: {meta['date']}", f"- commit: {meta['commit']}",
              f"- machine: {meta['machine']}", f"- load average: {meta['loadavg']}",
              f"- database: {meta['database']}; Redis: {meta['redis']}",
              f"- data set: {meta['dataset']}",
              f"- signed in as: {meta['user']}",
              f"- load generator: {meta['generator']}, {meta['concurrency']} connections, "
              f"{meta['seconds']} s per endpoint after a {meta['warmup']} s warm-up (same machine as the server)",
              f"- start-up (process start to first 200 from /readyz): {float(meta['startup']) * 1000:.0f} ms",
              f"- RSS: {meta['idle_rss']} MiB idle after start-up, {meta['after_rss']} MiB after the run, "
              f"{meta['hwm_total']} MiB peak over the whole run", ""]
    lines += ["| endpoint | req/s | % of /healthz | p50 ms | p90 ms | p99 ms | errors | peak RSS MiB |",
              "|---|---|---|---|---|---|---|---|"]
    for name, path, mode, _requests, rps, p50, p90, p99, errors, _statuses, peak in rows:
        share = f"{float(rps) / ceiling * 100:.1f}" if ceiling and name != "healthz" else "-"
        label = f"{name} `{mode} {path}`"
        lines.append(f"| {label} | {float(rps):.0f} | {share} | {p50} | {p90} | {p99} | {errors} | "
                     f"{int(peak) / 1024:.1f} |")
    lines += ["", "Status codes per endpoint: " + "; ".join(f"{r[0]} {r[9]}" for r in rows), ""]
    text = "\n".join(lines)
    with open(out, "w") as handle:
        handle.write(text)
    print(text)
    return 0


COMMANDS = {"wait-ready": wait_ready, "login": login, "discover": discover, "parse-oha": parse_oha,
            "parse-wrk": parse_wrk, "report": report}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
