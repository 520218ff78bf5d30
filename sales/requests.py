"""The request every view reads: text without NUL characters.

No keyboard types a NUL (U+0000), but a pasted PDF snippet, a script or a fuzzer can send one, and PostgreSQL
refuses it in any text column or query parameter (SQLite keeps it), so the same search that works on SQLite
would be a server error on PostgreSQL. Taking it out where the request is read keeps everything else the person
sent, on both databases, in every view, form, filter and API body at once.
"""
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

NUL = "\x00"


def _without_nul(pairs):
    return ImmutableMultiDict([(key.replace(NUL, ""), value.replace(NUL, "") if isinstance(value, str) else value)
                               for key, value in pairs])


def _clean(value):
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def _has_nul(multidict) -> bool:
    return any(NUL in key or (isinstance(value, str) and NUL in value) for key, value in multidict.items(multi=True))


class ShopRequest(Request):
    @cached_property
    def args(self):
        args = super().args
        return _without_nul(args.items(multi=True)) if _has_nul(args) else args

    def _load_form_data(self):
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and _has_nul(form):
            self.__dict__["form"] = _without_nul(form.items(multi=True))

    def get_json(self, *args, **kwargs):
        return _clean(super().get_json(*args, **kwargs))
