"""Lighthouse performance at tablet size on the pages a seller and a customer open, over the demo shop.

Serves a throwaway demo shop from this process (gzip and the static cache as in production: the app does
both itself), signs in as the owner and runs Lighthouse once per page with that session cookie. Prints the
performance score and the figures behind it.

One-time setup: `cd bench && npm install` (Lighthouse 12.8.2, pinned in bench/package.json). Needs Chromium
(/usr/bin/chromium). Run with `.venv/bin/python bench/lighthouse.py`; `BENCH_PAGES=board,ticket` runs some,
`BENCH_REPORTS=folder` keeps each page's whole JSON report there.
Lighthouse's default mobile throttling applies (simulated slow 4G, 4× slower CPU) on a 1024×768 screen.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from sales.demo import create_demo_staff, fill_demo_shop  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "lighthouse only"
TABLET = ["--form-factor=mobile", "--screenEmulation.mobile", "--screenEmulation.width=1024",
          "--screenEmulation.height=768", "--screenEmulation.deviceScaleFactor=1"]


def demo_shop():
    """A filled demo shop; returns the app and the URL of every page measured."""
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/lighthouse.db", "SECRET_KEY": "lighthouse"})
    upgrade_schema(app)
    with app.app_context():
        staff = create_demo_staff(PASSWORD)
        fill_demo_shop(staff[0])
        email = staff[0].email
        one = lambda sql: db.session.execute(db.text(sql)).scalar()  # noqa: E731
        pages = {
            "dashboard": "/",
            "customers": "/customers/",
            "customer": f"/customers/{one('SELECT min(id) FROM customers')}",
            "board": "/leads/board",
            "quote": f"/quotes/{one('SELECT min(quote_id) FROM quote_revisions')}",
            "ticket": f"/support/tickets/{one('SELECT min(id) FROM tickets')}",
            "web form": "/leads/web-form",
            "public quote": "/quotes/q/" + one("SELECT min(token) FROM quote_revisions WHERE status = 'sent'"),
            "portal": "/p/" + one("SELECT min(portal_token) FROM customers WHERE portal_token IS NOT NULL"),
        }
    return app, email, pages


def session_cookie(base, email):
    """Sign in through the real form and return the Cookie header a browser would send afterwards."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
    data = urllib.parse.urlencode({"csrf_token": token.group(1) or token.group(2), "email": email,
                                   "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def lighthouse(url, cookie, keep=None):
    """The figures of one run; `keep`: a path to write Lighthouse's whole JSON report to (what shifted, what
    loaded when)."""
    headers = json.dumps({"Cookie": cookie})
    result = subprocess.run(
        [str(LIGHTHOUSE), url, "--only-categories=performance", "--output=json", "--output-path=stdout", "--quiet",
         f"--extra-headers={headers}", "--chrome-flags=--headless=new --no-sandbox --disable-gpu", *TABLET],
        capture_output=True, text=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    if result.returncode:
        return {"error": (result.stderr.strip().splitlines() or ["exit status %d" % result.returncode])[-1]}
    report = json.loads(result.stdout)
    if keep:
        Path(keep).write_text(result.stdout)
    audits = report["audits"]
    return {
        "score": round(report["categories"]["performance"]["score"] * 100),
        "FCP s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "LCP s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "TBT ms": audits["total-blocking-time"]["numericValue"],
        "CLS": audits["cumulative-layout-shift"]["numericValue"],
        "KB": audits["total-byte-weight"]["numericValue"] / 1024,
    }


def main():
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is missing: cd bench && npm install")
    app, email, pages = demo_shop()
    wanted = os.environ.get("BENCH_PAGES")
    if wanted:
        pages = {name: url for name, url in pages.items() if name in wanted.split(",")}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    cookie = session_cookie(base, email)
    print(f"{'page':<14} {'score':>5} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>7} {'CLS':>6} {'KB':>7}")
    try:
        for name, url in pages.items():
            reports = os.environ.get("BENCH_REPORTS")   # a folder: each page's whole report kept there
            keep = Path(reports, name.replace(" ", "-") + ".json") if reports else None
            if keep:
                keep.parent.mkdir(parents=True, exist_ok=True)
            r = lighthouse(base + url, cookie, keep)
            if "error" in r:
                print(f"{name:<14} failed: {r['error']}", flush=True)
                continue
            print(f"{name:<14} {r['score']:>5} {r['FCP s']:>6.2f} {r['LCP s']:>6.2f} {r['TBT ms']:>7.0f} "
                  f"{r['CLS']:>6.3f} {r['KB']:>7.1f}", flush=True)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
