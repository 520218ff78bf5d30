"""Matching the values of an imported file to the shop's own lists (products, stages, sellers, sources…).

Two spellings match when they are the same after trimming, ignoring case and accents: “ GTX pro ” is “GTX Pro”,
“Prospección” is “prospeccion”. Anything else (`GTXPro`) is for the person to map.
"""
import unicodedata


def match_key(text):
    """The form two spellings share when they should be taken as the same value."""
    decomposed = unicodedata.normalize("NFKD", (text or "").strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def auto_match(values, choices):
    """{value: choice key} for the values whose spelling matches one of `choices` ({key: [names…]})."""
    by_key = {}
    for key, names in choices.items():
        for name in names:
            by_key.setdefault(match_key(str(name)), key)
    return {value: by_key[match_key(value)] for value in values if match_key(value) in by_key}


def value_counts(rows, index):
    """[(value, rows holding it)] for one column, in order of first appearance; blanks left out."""
    counts = {}
    if index is None:
        return []
    for row in rows:
        value = row[index].strip() if index < len(row) else ""
        if value:
            counts[value] = counts.get(value, 0) + 1
    return list(counts.items())
