"""The checks of the production smoke (scripts/production_smoke.sh), against a running OpsFlow.

Talks HTTP to gunicorn as a browser and an integration would, sending ``X-Forwarded-Proto: https`` as
the TLS proxy in front of OpsFlow does (the production settings redirect plain http). Uses the ORM
only to make one work item overdue and to wait for its escalation, which the Celery worker must carry
out (beat queues the sweep). Prints one line per check and exits 1 when any failed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER = "manager"  # logs in to the pages (a manager sees the dashboards) and receives the escalation
API_USER = "sales"  # the integration's person: ops staff in Sales, supervised by the manager (demo.USERS)
DEMO_PASSWORD = "demo"  # noqa: S105 (the documented demo password, loaded only by loaddemo)
FAR_FUTURE = "max-age=315360000"
STATIC_REF = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class Client:
    """A browser behind the TLS proxy: cookies kept by hand (they are Secure, the socket is plain)."""

    def __init__(self, url, proxied=True):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"https://{parts.netloc}"
        self.proxied = proxied
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Host": f"{self.host}:{self.port}", "Accept-Language": "en"}
        if self.proxied:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response, data

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)


def check_healthz(client, wait=90):
    deadline = time.monotonic() + wait
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response, data = client.get("/healthz")
            if response.status == 200:
                body = json.loads(data)
                expect(body.get("status") == "ok", f"/healthz answered {body}")
                return f"200 {body}"
            last = f"{response.status} {data[:200]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(1)
    raise CheckFailed(f"/healthz not 200 within {wait} s (last: {last})")


def check_https_redirect(url):
    response, _ = Client(url, proxied=False).get("/accounts/login/")
    expect(response.status == 301, f"plain http answered {response.status}, not a 301 to https")
    expect(response.headers["Location"].startswith("https://"), f"redirected to {response.headers['Location']}")
    return f"301 to {response.headers['Location']}"


def check_static(client, url, *, gzip=False):
    response, data = client.get(url, headers={"Accept-Encoding": "gzip"} if gzip else None)
    expect(response.status == 200, f"{url} answered {response.status}")
    cache = response.headers.get("Cache-Control", "")
    expect(FAR_FUTURE in cache and "immutable" in cache, f"{url} has Cache-Control {cache!r}")
    if gzip:
        expect(response.headers.get("Content-Encoding") == "gzip", f"{url} was not served compressed")
    return data


def static_refs(html, page):
    refs = STATIC_REF.findall(html)
    expect(refs, f"{page} links no static file")
    return refs


def check_login_page(client):
    response, data = client.get("/accounts/login/")
    expect(response.status == 200, f"the login page answered {response.status}")
    refs = static_refs(data.decode(), "the login page")
    fonts = []
    for ref in refs:
        body = check_static(client, ref)
        if ref.endswith(".css"):
            base = ref.rsplit("/", 1)[0]
            for target in CSS_URL.findall(body.decode()):
                if target.startswith(("data:", "#")):
                    continue
                target = target.split("?")[0].split("#")[0].removeprefix("./")
                font = f"{base}/{target}"
                if font.endswith((".woff2", ".woff", ".ttf")):
                    check_static(client, font)
                    fonts.append(font)
    expect(fonts, "no font referenced by the login page's style sheets")
    return f"200, {len(refs)} static files and {len(fonts)} fonts 200 with Cache-Control {FAR_FUTURE}, immutable"


def check_demo_login(client):
    response, data = client.get("/accounts/login/")
    expect("csrftoken" in client.cookies, "the login page set no CSRF cookie")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', data.decode())
    expect(match, "the login page has no CSRF field")
    body = urlencode({"username": DEMO_USER, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": match.group(1)})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": client.origin,
        "Referer": client.origin + "/accounts/login/",
    }
    response, data = client.request("POST", "/accounts/login/", body=body, headers=headers)
    expect(response.status == 302, f"logging in as {DEMO_USER} answered {response.status}: {data[:300]!r}")
    expect("sessionid" in client.cookies, "no session cookie after logging in")
    response, data = client.get("/")
    expect(response.status == 200, f"the home page answered {response.status} after logging in")
    expect(b'class="topbar__user"' in data and b"/accounts/logout/" in data, "the home page shows no logged-in user")
    return f"{DEMO_USER} logged in, home page 200"


def check_dashboard_and_plotly(client):
    response, data = client.get("/metrics/")
    expect(response.status == 200, f"the dashboard answered {response.status}")
    plotly = [ref for ref in static_refs(data.decode(), "the dashboard") if "plotly" in ref]
    expect(plotly, "the dashboard does not link plotly.js")
    check_static(client, plotly[0], gzip=True)
    return f"dashboard 200, {plotly[0]} 200 gzip with far-future caching"


def api_token():
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "apitoken", API_USER, "--name", "production smoke", "--days", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    expect(result.returncode == 0, f"manage.py apitoken failed: {result.stderr[-500:]}")
    return result.stdout.strip()


def api(client, token, method, path, payload=None):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    body = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload)
    response, data = client.request(method, path, body=body, headers=headers)
    return response.status, json.loads(data) if data else None


def check_api(url, state):
    client = Client(url)
    token = state["token"] = api_token()
    status, body = api(client, token, "GET", "/api/v1/work/runs/")
    expect(status == 200, f"GET /api/v1/work/runs/ with a token answered {status}: {body}")
    external_id = f"smoke-{int(time.time())}"
    status, body = api(
        client, token, "POST", "/api/v1/work/runs/", {"process": "order-processing", "external_id": external_id}
    )
    expect(status == 201, f"POST /api/v1/work/runs/ answered {status}: {body}")
    state["run"] = body["id"]
    return f"{API_USER}'s token: GET runs 200; POST runs 201 (run {body['id']}, {external_id})"


def check_escalation(url, state, timeout):
    expect("run" in state, "no run was started through the API")
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from processes.models import Escalation, WorkItem

    now = timezone.now()
    items = WorkItem.objects.filter(run_id=state["run"], finished_at__isnull=True)
    expect(items.exists(), f"run {state['run']} has no open step")
    item = items.order_by("position", "id").first()
    # the step was due an hour ago and its first escalation level is due now: the next sweep must take it
    WorkItem.objects.filter(pk=item.pk).update(due_at=now - timedelta(hours=1), next_escalation_at=now)
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while not Escalation.objects.filter(work_item_id=item.pk).exists():
        expect(time.monotonic() < deadline, f"work item {item.pk} was not escalated within {timeout} s")
        time.sleep(1)
    waited = time.monotonic() - started
    escalation = Escalation.objects.get(work_item_id=item.pk, level=1)
    recipients = sorted(escalation.recipients.values_list("username", flat=True))
    status, body = api(Client(url), state["token"], "GET", f"/api/v1/work/escalations/?work_item={item.pk}")
    expect(status == 200 and len(body["results"]) == 1, f"the API lists {body} for the escalated item")
    return f"work item {item.pk} escalated to level 1 ({', '.join(recipients)}) after {waited:.0f} s; API shows it"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="where gunicorn listens, e.g. http://127.0.0.1:8000")
    parser.add_argument("--escalation-timeout", type=float, default=90.0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.production")
    sys.path.insert(0, str(ROOT))

    browser = Client(args.url)
    state = {}
    checks = [
        ("/healthz answers 200", lambda: check_healthz(Client(args.url))),
        ("plain http is redirected to https", lambda: check_https_redirect(args.url)),
        ("login page and its static files, fonts included", lambda: check_login_page(browser)),
        ("a demo user logs in and sees the home page", lambda: check_demo_login(browser)),
        ("a page with plotly.js as that user", lambda: check_dashboard_and_plotly(browser)),
        ("API calls with a token", lambda: check_api(args.url, state)),
        ("the worker escalates an overdue step", lambda: check_escalation(args.url, state, args.escalation_timeout)),
    ]
    failed = []
    for title, check in checks:
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, then the next check runs
            failed.append(title)
            print(f"FAIL  {title}: {exc}", flush=True)
        else:
            print(f"ok    {title}: {detail}", flush=True)
    if failed:
        print(f"\n{len(failed)} of {len(checks)} checks failed: {'; '.join(failed)}", flush=True)
        return 1
    print(f"\nall {len(checks)} checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
