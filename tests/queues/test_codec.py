"""The persistent codec's direct path for plain messages writes exactly what the
general path writes, and falls back whenever a message is not plain."""

from __future__ import annotations

import json
import random

import pytest

from mule_emulator.queues import codec
from mule_emulator.runtime.message import ExceptionPayload, MuleMessage

SCALARS: list[object] = [
    "",
    "plain",
    'quote " backslash \\ newline \n nul \x00 line-sep \u2028 é 𝄞',
    "\ud800",  # a lone surrogate (kept by surrogatepass)
    0,
    -5,
    2**70,
    1.5,
    -0.0,
    1e300,
    True,
    False,
    None,
]
OTHERS: list[object] = [float("inf"), float("nan"), b"bytes", [1, "a"], {"k": 1}, (1,)]


def _general(message: MuleMessage) -> bytes:
    text = json.dumps(codec._enc(message), ensure_ascii=False, separators=(",", ":"))
    return codec.MAGIC + text.encode("utf-8", errors="surrogatepass")


def _random_message(rng: random.Random, values: list[object]) -> MuleMessage:
    def scope() -> dict[str, object]:
        names = ["a", "B", "key é", 'q"uote', "MULE_X"]
        return {rng.choice(names) + str(i): rng.choice(values) for i in range(rng.randint(0, 3))}

    return MuleMessage(
        rng.choice(values),
        inbound=scope(),
        outbound=scope(),
        encoding=rng.choice([None, "UTF-8"]),
        mime_type=rng.choice([None, "text/plain"]),
    )


def test_plain_messages_take_the_direct_path_with_the_same_bytes() -> None:
    rng = random.Random(6)
    for _ in range(500):
        message = _random_message(rng, SCALARS)
        assert codec._message_json(message) is not None
        body = codec.encode(message)
        assert body == _general(message)
        back = codec.decode(body)
        assert isinstance(back, MuleMessage)
        assert back.id == message.id and back.root_id == message.root_id
        assert dict(back.outbound.items()) == dict(message.outbound.items())
        assert dict(back.inbound.items()) == dict(message.inbound.items())


def test_other_values_fall_back_to_the_general_path() -> None:
    rng = random.Random(8)
    for value in OTHERS:
        message = _random_message(rng, SCALARS)
        message.payload = value
        assert codec._message_json(message) is None
        assert codec.encode(message) == _general(message)
        message = _random_message(rng, SCALARS)
        message.outbound["odd"] = value
        assert codec._message_json(message) is None
        assert codec.encode(message) == _general(message)


@pytest.mark.parametrize("change", ["attachment", "exception", "extra"])
def test_messages_with_more_than_scalars_fall_back(change: str) -> None:
    message = MuleMessage("p", outbound={"a": 1})
    if change == "attachment":
        message.outbound_attachments["file"] = ("content", "text/plain")
    elif change == "exception":
        message.exception_payload = ExceptionPayload(ValueError("boom"), "boom")
    else:
        message.note = "set by a stand-in"  # type: ignore[attr-defined]
    assert codec._message_json(message) is None
    back = codec.decode(codec.encode(message))
    assert back.payload == "p" and back.outbound["a"] == 1


def test_a_decoded_plain_message_creates_no_attachment_maps() -> None:
    back = codec.decode(codec.encode(MuleMessage("p")))
    assert back._inbound_attachments is None and back._outbound_attachments is None
    assert back.inbound_attachments == {} and back.outbound_attachments == {}
