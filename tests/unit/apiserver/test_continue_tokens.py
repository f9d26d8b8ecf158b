"""Continue tokens: what they carry, and the one that resumes at the latest revision."""

from __future__ import annotations

import base64

import orjson
import pytest

from kubelite.api.errors import BadRequestError, ExpiredError, expired_continue
from kubelite.apiserver.selection import LATEST, decode_continue, encode_continue


def _token(data: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


def test_a_token_carries_its_revision_and_next_key() -> None:
    token = encode_continue(42, "/registry/core/pods/default/b")
    assert "=" not in token
    assert decode_continue(token) == (42, "/registry/core/pods/default/b")


def test_a_latest_token_continues_at_the_latest_revision() -> None:
    assert decode_continue(encode_continue(LATEST, "/k")) == (0, "/k")


@pytest.mark.parametrize(
    "data",
    [
        {"v": "meta.k8s.io/v1", "rv": 0, "start": "/k"},
        {"v": "meta.k8s.io/v1", "rv": -2, "start": "/k"},
        {"v": "meta.k8s.io/v1", "rv": "5", "start": "/k"},
        {"v": "meta.k8s.io/v1", "rv": 5, "start": 7},
    ],
)
def test_a_token_without_a_usable_revision_is_refused(data: object) -> None:
    with pytest.raises(BadRequestError, match="incorrect encoded start resourceVersion"):
        decode_continue(_token(data))


def test_an_expired_continue_offers_a_new_token_in_its_status() -> None:
    error = expired_continue("abc")
    assert isinstance(error, ExpiredError)
    status = error.to_status()
    assert (status["code"], status["reason"], status["metadata"]) == (
        410,
        "Expired",
        {"continue": "abc"},
    )
    assert ExpiredError.from_status(status).continue_token == "abc"
