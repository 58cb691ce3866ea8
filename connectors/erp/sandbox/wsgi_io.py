"""Reading WSGI requests and writing replies, for every route of the sandbox ERP."""

import json
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class RequestTooLarge(Exception):
    pass


def json_reply(value, status: HTTPStatus = HTTPStatus.OK, headers: tuple = ()) -> Reply:
    return Reply(status, json.dumps(value).encode(), "application/json", headers)


def text_reply(status: HTTPStatus, text: str, headers: tuple = ()) -> Reply:
    return Reply(status, text.encode(), "text/plain; charset=utf-8", headers)


def read_body(environ: dict, limit: int) -> bytes:
    """The request body; RequestTooLarge past ``limit`` bytes (declared or chunked)."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.isdigit():
        if int(declared) > limit:
            raise RequestTooLarge
        return environ["wsgi.input"].read(int(declared))
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge
    return body


def query(environ: dict) -> dict[str, list[str]]:
    """The query string's parameters, each with all its values."""
    return parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
