"""No input gives a server error. Every form the app shows (found by walking app.url_map over a demo shop and
reading the pages' <form>s), every POST route, every id in a path and every query parameter in a link gets
missing, repeated, huge, negative, non-numeric, NUL, right-to-left and 100 000-character values. Any 5xx (or
an exception escaping the app) fails the test, with the request that caused it."""
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.conftest import login

HUGE = "9" * 400
LONG = "x" * 100_000
NUMERIC_NAME = re.compile(r"(^|_|-)(id|price|rate|quantity|qty|days|hours|amount|value|percent|target|threshold|"
                          r"year|number|months|stock|page|line|expectation|experience|score|nps|csat|minutes)"
                          r"($|_|-)|^\w+-\d+-")
# Values that are wrong in every way a person or a script can be wrong.
EVERY_FIELD_CASES = {
    "huge": HUGE, "negative": "-" + HUGE, "non-numeric": "abc", "nul": "1\x00<x>", "rtl": "\u202e\u0645\u0631\u062d\u0628\u0627",
    "long": LONG, "zero-width": "\u200b", "fraction": "1.5e308",
}
NOT_FUZZED = {"accounts.logout"}            # it would only sign the fuzzer out


class FormReader(HTMLParser):
    """The POST forms of a page: [(action, [(name, value)])], with a select's first option and ticked boxes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = (attrs.get("action") or "", [])
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "file", "image", "reset"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                if not any(n == attrs["name"] for n, _v in self._form[1]) and attrs.get("type") == "radio":
                    self._form[1].append((attrs["name"], attrs.get("value", "on")))
                return
            self._form[1].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select:
            self._form[1].append((self._select, attrs.get("value", "")))
            self._select = None
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form[1].append((attrs["name"], ""))
        elif tag == "button" and attrs.get("value") and attrs.get("name") != "more":
            self._form[1].append((attrs["name"], attrs["value"]))

    def handle_data(self, data):
        if self._textarea and self._form:
            name, value = self._form[1][-1]
            self._form[1][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _example_url(app, rule):
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "not-a-token"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


class Fuzzer:
    def __init__(self, app, client, owner_email, password):
        self.app, self.client, self.email, self.password = app, client, owner_email, password
        self.failures, self.requests = [], 0

    def sign_in(self):
        self.client.post("/login", data={"email": self.email, "password": self.password})

    def send(self, method, url, case, data=None, headers=None):
        self.requests += 1
        try:
            response = self.client.open(url, method=method, data=MultiDict(data or []), headers=headers)
        except Exception as error:  # noqa: BLE001  (an exception escaping the app is exactly what we look for)
            self.failures.append((method, url, case, f"{type(error).__name__}: {str(error)[:200]}"))
            self.client.get("/healthz")
            return None
        response.get_data()   # streamed answers (CSV) run to the end here, inside the request
        response.close()
        if response.status_code >= 500:
            self.failures.append((method, url, case, response.status_code))
        elif response.status_code in (302, 303) and urlsplit(response.location).path == "/login":
            self.sign_in()        # a form that changed the password or the session: carry on signed in
        return response


@pytest.fixture
def demo_shop(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", "fuzzing the demo shop")
    result = runner.invoke(args=["demo", "--customers", "6"])
    assert result.exit_code == 0, result.output
    return "owner@ruedalibre.example", "fuzzing the demo shop"


def _mutations(fields):
    """(case, form data) pairs for one form whose good values are `fields`."""
    yield "all missing", []
    yield "repeated", fields + fields
    for case, value in EVERY_FIELD_CASES.items():
        yield f"every field {case}", [(name, value) for name, _v in fields]
    for position, (name, _value) in enumerate(fields):
        if name == "csrf_token":
            continue
        yield f"{name} missing", fields[:position] + fields[position + 1:]
        if NUMERIC_NAME.search(name) or _value.strip().lstrip("-").replace(".", "").replace(",", "").isdigit():
            for case in ("huge", "negative"):
                yield f"{name} {case}", fields[:position] + [(name, EVERY_FIELD_CASES[case])] + fields[position + 1:]
        else:
            yield f"{name} long", fields[:position] + [(name, LONG)] + fields[position + 1:]


def test_no_input_gives_a_server_error(app, client, demo_shop):
    fuzzer = Fuzzer(app, client, *demo_shop)
    fuzzer.sign_in()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static" and r.endpoint not in NOT_FUZZED]

    # Walk every page that answers a GET, and keep the forms and the links with a query string it shows.
    forms, links = {}, set()
    for rule in rules:
        if "GET" not in rule.methods:
            continue
        url = _example_url(app, rule)
        response = fuzzer.send("GET", url, "walk")
        if response is None or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        reader = FormReader()
        reader.feed(html)
        for action, fields in reader.forms:
            path = urlsplit(action).path or urlsplit(url).path
            if action.rstrip("/").endswith("/logout"):
                continue
            forms.setdefault((path, tuple(sorted({n for n, _v in fields}))), (action or url, fields))
        for href in re.findall(r'href="([^"#]*\?[^"#]*)"', html):
            links.add(href.replace("&amp;", "&"))

    # POST routes no page showed a form for still get bad bodies.
    shown = {path for path, _names in forms}
    for rule in rules:
        if "POST" in rule.methods:
            url = _example_url(app, rule)
            if urlsplit(url).path not in shown:
                forms[(url, ())] = (url, [("name", "x"), ("id", "1")])

    for (_path, _names), (action, fields) in sorted(forms.items()):
        for case, data in _mutations(fields):
            fuzzer.send("POST", action, case, data=data)
        fuzzer.send("POST", action, "as htmx, every field huge", data=[(n, HUGE) for n, _v in fields],
                    headers={"HX-Request": "true"})

    # Query strings: every parameter a page links with, wrong in each way.
    for link in sorted(links):
        parts = urlsplit(link)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for case, value in EVERY_FIELD_CASES.items():
            fuzzer.send("GET", f"{parts.path}?{urlencode([(n, value) for n, _v in query])}", f"query {case}")
        fuzzer.send("GET", f"{parts.path}?{urlencode(query + query)}", "query repeated")

    # Ids in paths: only positive integers that fit in 63 bits are ids; the rest are unknown pages.
    for rule in rules:
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        good = _example_url(app, rule)
        for bad in ("0", str(2 ** 63), str(2 ** 64), "99999999999999999999999999"):
            url = re.sub(r"/1(?=/|$|\.)", "/" + bad, good, count=1)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = fuzzer.send(method, url, f"id {bad}")
                if response is not None and response.status_code not in (404, 405, 302, 303):
                    fuzzer.failures.append((method, url, f"id {bad}", f"{response.status_code}, not 404"))

    print(f"{fuzzer.requests} requests, {len(forms)} forms, {len(links)} links")
    assert fuzzer.requests > 1000
    causes = {}
    for method, url, case, error in fuzzer.failures:
        causes.setdefault((re.sub(r"/\d+", "/<id>", urlsplit(url).path), str(error)[:120]), (method, url, case))
    assert fuzzer.failures == [], "\n".join(f"{where}: {cause} (e.g. {example})"
                                            for (where, cause), example in sorted(causes.items())) + \
        f"\n({len(fuzzer.failures)} failing requests in all)"
