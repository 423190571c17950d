"""Why a body could not be read, in words a client can act on."""

from __future__ import annotations

from starlette.requests import Request

from swarmstack.server.body_errors import not_declared_json, unparsable_json


def request(content_type: str | None) -> Request:
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})


WHOLE_BODY = [{"loc": ("body",), "msg": "Input should be a valid dictionary"}]


def test_a_body_not_sent_as_json_names_its_content_type() -> None:
    said = not_declared_json(request("text/plain"), WHOLE_BODY)
    assert said is not None and "Content-Type text/plain" in said
    none = not_declared_json(request(None), WHOLE_BODY)
    assert none is not None and "no Content-Type" in none


def test_json_bodies_and_field_errors_are_left_alone() -> None:
    assert not_declared_json(request("application/json"), WHOLE_BODY) is None
    assert not_declared_json(request("application/problem+json"), WHOLE_BODY) is None
    field = [{"loc": ("body", "input"), "msg": "x"}]
    assert not_declared_json(request("text/plain"), field) is None


def chained(cause: BaseException) -> Exception:
    exc = Exception("There was an error parsing the body")
    exc.__cause__ = cause
    return exc


def test_what_the_json_parser_refused_is_named() -> None:
    assert "nests too deeply" in (unparsable_json(chained(RecursionError())) or "")
    digits = ValueError("Exceeds the limit (4300 digits) for integer string conversion")
    assert "number the parser refuses" in (unparsable_json(chained(digits)) or "")
    bad = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    assert "not valid UTF-8" in (unparsable_json(chained(bad)) or "")
    assert unparsable_json(chained(KeyError("x"))) is None
