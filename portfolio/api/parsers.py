"""The API's JSON parser: DRF's, with a bound on nesting.

Python's ``json`` recurses once per level: a body of a thousand nested arrays
raised ``RecursionError`` (a 500) in the parser, and a few hundred levels that
do parse would recurse again in validation and in the error formatter. No body
of this API is nested more than a few levels, so anything deeper than
``MAX_DEPTH`` is a malformed request: 400 ``parse_error``, like bad JSON.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def json_depth(data) -> int:
    """The nesting depth of parsed JSON (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """``application/json`` bodies, at most ``MAX_DEPTH`` levels deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = _("JSON 嵌套层级过深（上限 %(max)s 层）。") % {"max": MAX_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(too_deep) from exc
        if json_depth(data) > MAX_DEPTH:
            raise ParseError(too_deep)
        return data
