"""One place decides whether a request gets the whole page or only the fragment htmx swaps in."""
from flask import make_response, render_template, request


def wants_fragment():
    # A history restore and a boosted link both replace the whole page, so they need the whole page.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Boosted") != "true"
    )


def render_page(template, fragment, status=200, **context):
    """Render `template` for a normal request, or just `fragment` (which the template includes) for htmx.

    With `template=None` the full page is page.html: the base layout around the fragment, titled `title`.
    """
    if wants_fragment():
        body = render_template(fragment, **context)
    else:
        body = render_template(template or "page.html", fragment=fragment, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
