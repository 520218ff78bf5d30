"""Record ids as they come in from URLs and query strings: a positive integer that fits the database's 63-bit
integers, or nothing. Anything else (0, -1, 2^64, "12abc") is not an id of any record: 404, never a crash."""
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2 ** 63 - 1


def record_id(text):
    """For `request.args.get(name, type=record_id)`: an id, or ValueError (werkzeug then gives the default)."""
    value = int(str(text).strip(), 10)
    if not 0 < value <= MAX_ID:
        raise ValueError(text)
    return value


class RecordIdConverter(IntegerConverter):
    """`<int:…>` in every route: digits only (as before), and only values a row id can have.

    Any other number is a 404 straight away, not a "this rule does not match": Werkzeug compares the method
    before the converters, so when one path has a rule per method (the API's GET and PATCH of a customer), a
    rule that merely did not match would leave the other rule's methods, and PATCH …/customers/0 would get a
    405 saying only GET is allowed."""

    # No leading zero and at most 19 digits in the pattern itself: "0" or a 30-digit number then matches no route
    # (404 whatever the method). A value refused only by to_python leaves the rule half-matched, and werkzeug
    # answers a PATCH or POST on it 405 as if the address existed for GET alone.
    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value):
        number = super().to_python(value)
        if not 0 < number <= MAX_ID:
            raise NotFound()
        return number
