"""A fresh evaluation context for each expression test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mule_emulator.expressions import AppInfo, SimpleContext, SimpleMessage


def make_context(payload: object = "Hello World") -> SimpleContext:
    message = SimpleMessage(
        payload,
        inbound={"Content-Type": "text/plain", "MULE_CORRELATION_ID": "corr-1", "count": "7"},
        outbound={"existing": "out-1"},
        inbound_attachments={"doc": ("content", "text/plain")},
        message_id="msg-1",
        root_id="root-1",
    )
    return SimpleContext(
        message=message,
        flow_vars={
            "count": 3,
            "name": "Ann",
            "items": [1, 2, 3],
            "config": {"k": "v", "n": 2, "nested": {"deep": True}},
            "blank": "  ",
            "price": Decimal("10.50"),
            "ratio": 0.5,
            "nothing": None,
        },
        session_vars={"user": "bob", "count": 99},
        flow_name="orders",
        app=AppInfo(name="shop", encoding="UTF-8", work_dir="/tmp/shop"),
    )


@pytest.fixture
def ctx() -> SimpleContext:
    return make_context()
