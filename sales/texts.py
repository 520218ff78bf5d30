"""Texts the code writes into the database ("Deal lost: Bike for Ana", "3 leads moved to Proposal", an import
problem), kept language-neutral and written in the reader's language when shown.

The stored form is the msgid and its parameters as JSON (`stored(...)`); `shown(value)` translates it in the
current locale (the reader's, in a request), and gives any other text — what a person typed, or rows written
before this existed — back as it is. A parameter that is itself a catalogue text (a kind of ticket, a field's
label) is stored as `stored(...)` too, and so translated in the reader's language as well.

Mark the msgids with `N_()` (or `Nn_()` for a plural) where they are written, so extraction still collects them:
    log.goal = stored(N_("Deal lost: %(title)s"), title=lead.title)
    bulk.summary = stored(Nn_("%(num)d lead moved.", "%(num)d leads moved."), num=count)
and in templates show them with the `shown` filter: `{{ log.goal|shown }}`.

What is data a person may edit afterwards (a ticket title made by the maintenance job, a default stage's name)
is not stored like this but as plain text in the shop's language (sales/languages.py); a name the shop gives
per language (a stage) is a parameter as `names_param(row)`, every language's name with it. What went out of
the shop (an email already sent) stays as it was sent.
"""
import json
from typing import Any, Optional

from flask_babel import gettext, ngettext

# A stored text starts like this; a person's text practically never does, and if it did it is still shown.
_START = '{"msgid":'


def N_(msgid: str) -> str:
    """Marks a msgid for extraction without translating it (a keyword pybabel knows by default)."""
    return msgid


def Nn_(singular: str, plural: str) -> tuple:
    """Marks a singular and plural msgid pair for extraction (`make strings` passes `-k Nn_:1,2`)."""
    return singular, plural


def stored(msgid, *, num: Optional[int] = None, limit: Optional[int] = None, **params: Any) -> str:
    """The storable form of `msgid` with `params`; for a plural, `msgid` is `Nn_(singular, plural)` and `num`
    the count.

    `limit`: the column's length. When the JSON would not fit, the longest plain-text parameters (a lead's
    title, a value from a file) are shortened until it does."""
    if isinstance(msgid, tuple):
        value = {"msgid": msgid[0], "plural": msgid[1], "num": num, "params": params}
    else:
        value = {"msgid": msgid, "params": params}
    text = json.dumps(value, ensure_ascii=False)
    while limit is not None and len(text) > limit:
        longest = max((key for key, item in params.items() if isinstance(item, str) and not is_stored(item)),
                      key=lambda key: len(params[key]), default=None)
        if longest is None or not params[longest]:
            return shown(text)[:limit]       # nothing left to shorten: written once, in the writer's language
        params[longest] = params[longest][:max(0, len(params[longest]) - (len(text) - limit) - 1)] + "…"
        text = json.dumps(value, ensure_ascii=False)
    return text


def is_stored(value) -> bool:
    return isinstance(value, str) and value.startswith(_START)


def _read(value) -> Optional[dict]:
    try:
        found = json.loads(value)
    except ValueError:
        return None
    if isinstance(found, dict) and isinstance(found.get("msgid"), str) and isinstance(found.get("params", {}), dict):
        return found
    return None


def shown(value) -> Optional[str]:
    """`value` in the current locale: a stored text translated (its parameters too), anything else as it is."""
    if not is_stored(value):
        return value
    found = _read(value)
    if found is None:
        return value
    msgid, plural = found["msgid"], found.get("plural")       # names, not literals: nothing here to extract
    params = {key: _shown_param(item) for key, item in found.get("params", {}).items()}
    if plural is not None:
        return ngettext(msgid, plural, found.get("num") or 0, **params)
    return gettext(msgid, **params)


def names_param(row) -> dict:
    """A parameter naming a row the shop names per language (a stage): shown in the reader's language."""
    return {"names": dict(row.names or {}), "name": row.name}


def _shown_param(item):
    if isinstance(item, dict) and "names" in item:
        from sales.list_names import shown_name

        return shown_name(item.get("names"), item.get("name"))
    return shown(item)


def shown_problems(problems):
    """Import problems ([line, field, message] rows) with their field and message in the current locale."""
    return [[line, shown(field), shown(message)] for line, field, message in problems]


def stored_label(label) -> str:
    """A form's label made with lazy_gettext (a ticket status, a kind) as a stored text, so a text that names it
    shows it in the reader's language too; any other value stays as it is (a stage's or a person's name)."""
    args = getattr(label, "_args", None)
    if args and isinstance(args[0], str) and not getattr(label, "_kwargs", None):
        return stored(args[0])
    return label if isinstance(label, str) or label is None else str(label)
