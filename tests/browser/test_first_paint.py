"""The first paint has the layout: with only the stylesheet's inline part (the whole file held back, as on a slow
link before it arrives) the main pages put their bar, heading and content where the whole stylesheet puts them —
no flash of unstyled layout, and no shift when the file arrives. Screenshots of both in docs/screenshots/."""
from pathlib import Path

import pytest

from tests.browser.test_touch import demo, sign_in  # noqa: F401 (the filled shop, the sign-in)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGES = {"dashboard": "/", "customers": "/customers/", "board": "/leads/board", "ticket": "/support/tickets/{ticket}",
         "portal": "/p/{portal}"}
# What the eye lands on first: the top bar, the heading, the first block of content below it.
BOXES = """() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
                        return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)]; };
  const first = document.querySelector('main h1');
  const next = first && (first.closest('.pagehead') || first).nextElementSibling;
  return {bar: box(document.querySelector('header.topbar')), heading: box(first), next: box(next)};
}"""


def _layout(browser, live_server, email, url, held_back, shot):
    # No service worker: it would hand the held-back file over from its cache.
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="en-GB",
                                  service_workers="block")
    page = context.new_page()
    if held_back:   # before signing in: a file the browser has once is not asked for again (immutable)
        page.route("**/static/css/mostrador.*", lambda route: route.abort())
    sign_in(page, live_server, email)
    page.goto(live_server + url)
    boxes = page.evaluate(BOXES)
    page.screenshot(path=str(SCREENSHOTS / shot))
    sheet_on = page.evaluate("() => document.querySelector('link[data-stylesheet]').media")
    context.close()
    return boxes, sheet_on


def test_the_first_paint_has_the_layout(browser, live_server, demo):  # noqa: F811
    email, ids = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shifts = {}
    for name, url in PAGES.items():
        first, _held = _layout(browser, live_server, email, url.format(**ids), True, f"first-paint-{name}-tablet.png")
        full, applied = _layout(browser, live_server, email, url.format(**ids), False, f"full-css-{name}-tablet.png")
        assert applied == "all"      # the whole file, arrived, is the screen's (static/js/stylesheet.js)
        moved = {part: (first[part], full[part]) for part in full
                 if first[part] and full[part] and any(abs(a - b) > 2 for a, b in zip(first[part], full[part]))}
        if moved:
            shifts[name] = moved
    assert not shifts, f"the layout moves when the whole stylesheet arrives: {shifts}"
