"""Request bodies as JSON, read within limits a hostile sender cannot get round.

Python's ``json`` parses nested arrays and objects by recursion, so about 20 KB
of ``[[[[`` raises ``RecursionError`` (a 500) before any validation runs. And a
key that appears twice in one object silently keeps its last value, so what we
store could differ from what another reader of the same bytes sees.
``load_json_body`` therefore:

- measures how deep arrays and objects nest with a scan that does not recurse,
  and refuses a body deeper than ``SYNC_MAX_JSON_DEPTH`` before parsing it;
- refuses a key repeated within one object, naming it by its path
  (``lines[0].sku``), as validation errors name fields;
- refuses ``NaN`` and ``Infinity``, which are not JSON.

Each refusal is a ``JsonBodyRefused``; ``JsonBodyParser`` is the DRF parser that
answers it with 400 problem JSON, and views that read the raw body themselves
(signed webhooks) call ``load_json_body`` and ``json_body_problem``.
"""

import json
import re
from itertools import accumulate
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.parsers import JSONParser, get_encoding

if TYPE_CHECKING:
    from syncplatform.core.problems import Problem


# A JSON string, escapes included: its brackets are text, not structure. An
# unclosed one runs to the end, so every quote is matched at once and the scan
# stays linear in the length of the body.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*\\?(?:"|\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonBodyRefused(ValueError):
    """The body is not JSON this platform takes; ``slug`` and ``title`` name the problem type."""

    slug = "malformed-json"
    title = "Malformed JSON"

    def __init__(self, detail: str, *, field: str = "", message: str = ""):
        super().__init__(detail)
        self.field = field
        self.message = message


class JsonNestedTooDeeply(JsonBodyRefused):
    slug = "json-too-deep"
    title = "JSON nested too deeply"


class DuplicateJsonKey(JsonBodyRefused):
    slug = "duplicate-json-key"
    title = "Duplicate key in a JSON object"


def load_json_body(raw: bytes | str, *, max_depth: int | None = None) -> object:
    """The JSON value in ``raw`` (UTF-8 when bytes); raises ``JsonBodyRefused``.

    ``max_depth`` defaults to ``SYNC_MAX_JSON_DEPTH``; ``{}`` and ``[]`` are one level.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonBodyRefused(f"the body is not UTF-8: {exc}") from None
    limit = settings.SYNC_MAX_JSON_DEPTH if max_depth is None else max_depth
    depth = nesting_depth(raw)
    if depth > limit:
        raise JsonNestedTooDeeply(
            f"arrays and objects nest {depth} levels deep; at most {limit} are accepted"
        )
    seen_duplicate = []
    try:
        value = json.loads(
            raw,
            object_pairs_hook=lambda pairs: _json_object(pairs, seen_duplicate),
            parse_constant=_refuse_constant,
        )
    except ValueError as exc:  # JSONDecodeError, and int() past Python's digit limit
        raise JsonBodyRefused(f"JSON parse error - {exc}") from None
    if seen_duplicate:
        path = _duplicate_key_path(value, "")
        raise DuplicateJsonKey(
            f"{path} appears more than once in the same object",
            field=path,
            message="appears more than once in the same object",
        )
    return value


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON ``text``, counted without recursion.

    Strings are cut out first (their brackets are text); what remains is a run
    of brackets whose running sum peaks at the depth. A string left unclosed
    (malformed JSON anyway) may count its brackets as structure.
    """
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


class _ObjectWithDuplicate(dict):
    """A decoded object in which ``duplicate`` appeared more than once."""

    duplicate: str


def _json_object(pairs: list[tuple[str, object]], seen_duplicate: list) -> dict:
    decoded = dict(pairs)
    if len(decoded) == len(pairs):
        return decoded
    flagged = _ObjectWithDuplicate(decoded)
    seen = set()
    for key, _ in pairs:
        if key in seen:
            flagged.duplicate = key
            break
        seen.add(key)
    seen_duplicate.append(True)
    return flagged


def _duplicate_key_path(value: object, path: str) -> str | None:
    """The path of the first repeated key, in document order (depth is bounded already)."""
    if isinstance(value, _ObjectWithDuplicate):
        return _child_path(path, value.duplicate)
    if isinstance(value, dict):
        children = ((_child_path(path, key), child) for key, child in value.items())
    elif isinstance(value, list):
        children = ((f"{path}[{n}]", child) for n, child in enumerate(value))
    else:
        return None
    for child_path, child in children:
        found = _duplicate_key_path(child, child_path)
        if found:
            return found
    return None


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_body_problem(refusal: JsonBodyRefused) -> "Problem":
    """The 400 problem answering ``refusal``; a repeated key is named in ``errors``."""
    # Imported here: problems imports DRF's views, whose settings load this parser.
    from syncplatform.core.problems import Problem

    errors = [{"field": refusal.field, "message": refusal.message}] if refusal.field else None
    return Problem(400, refusal.slug, refusal.title, str(refusal), errors)


class JsonBodyParser(JSONParser):
    """DRF's JSON parser with ``load_json_body``'s limits; refusals are 400 problem JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
            return load_json_body(text)
        except UnicodeDecodeError as exc:
            raise json_body_problem(JsonBodyRefused(f"the body is not {encoding}: {exc}")) from None
        except JsonBodyRefused as refusal:
            raise json_body_problem(refusal) from None
