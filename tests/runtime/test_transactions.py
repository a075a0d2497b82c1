"""VM local transactions and the transaction-action templates (T2-T6, Q9, R4, R5)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from _tx_helpers import ListStore

from mule_emulator.errors import MessagingError, TransactionError
from mule_emulator.model.config import TransactionConfig
from mule_emulator.runtime.message import MuleEvent, MuleMessage
from mule_emulator.runtime.transactions import (
    TransactedPoller,
    TransactionTemplate,
    begin_transaction,
    current_transaction,
    endpoint_template,
    main_template,
    queue_offer,
    queue_take,
    scope_template,
)


def tx(action: str, kind: str = "vm") -> TransactionConfig:
    return TransactionConfig(kind=kind, action=action)


@pytest.fixture(autouse=True)
def no_leaked_transaction() -> Any:
    assert current_transaction() is None
    yield
    leaked = current_transaction()
    if leaked is not None:
        leaked.rollback()
    assert leaked is None, "a test left a transaction bound to the thread"


class Handler:
    """An exception strategy stand-in: records calls, optionally marks handled."""

    def __init__(self, handled: bool = False, rollback: bool = False) -> None:
        self.handled = handled
        self.rollback = rollback
        self.calls = 0

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        self.calls += 1
        if self.rollback:
            t = current_transaction()
            assert t is not None
            t.rollback()
        error.handled = self.handled
        return event


def event(payload: str = "p") -> MuleEvent:
    return MuleEvent.of(MuleMessage(payload), exchange_pattern="request-response")


# ------------------------------------------------------------------- commit / rollback


def test_commit_makes_offers_visible_and_takes_final() -> None:
    inq, outq = ListStore("in"), ListStore("out")
    inq.put("a")
    t = begin_transaction()
    assert queue_take(inq, 0) == "a"
    assert queue_offer(outq, "b", 0)
    assert outq.size() == 0, "an offer is invisible before commit"
    t.commit()
    assert outq.items() == ["b"]
    assert inq.size() == 0
    assert current_transaction() is None


def test_rollback_discards_offers_and_puts_takes_back_at_the_tail() -> None:
    inq, outq = ListStore("in"), ListStore("out")
    inq.put("first")
    t = begin_transaction()
    assert queue_take(inq, 0) == "first"
    inq.put("arrived meanwhile")
    queue_offer(outq, "x", 0)
    t.rollback()
    assert inq.items() == ["arrived meanwhile", "first"]
    assert outq.size() == 0


def test_transient_offer_in_transaction_counts_its_own_items_against_capacity() -> None:
    q = ListStore("bounded", capacity=2)
    t = begin_transaction()
    assert queue_offer(q, 1, 0)
    assert queue_offer(q, 2, 0)
    with pytest.raises(TransactionError, match="capacity in one time"):
        queue_offer(q, 3, 0)
    t.commit()
    assert q.items() == [1, 2]


def test_transient_offer_in_transaction_waits_for_room_then_gives_up() -> None:
    q = ListStore("bounded", capacity=2)
    q.put("queued")
    t = begin_transaction()
    assert queue_offer(q, "held", 0)
    # size 1 >= capacity 2 - 1 held: no room within the timeout.
    assert queue_offer(q, "refused", 0.02) is False
    t.commit()
    assert q.items() == ["queued", "held"]


def test_commit_and_persistent_offers_ignore_capacity() -> None:
    p = ListStore("persistent", capacity=1, persistent=True)
    p.put("already")
    t = begin_transaction()
    assert queue_offer(p, "more", 0)
    assert queue_offer(p, "and more", 0)
    t.commit()
    assert p.items() == ["already", "more", "and more"]


def test_rollback_only_transaction_rolls_back_on_resolve_and_refuses_commit() -> None:
    q = ListStore("q")
    t = begin_transaction()
    queue_offer(q, "x", 0)
    t.set_rollback_only()
    with pytest.raises(TransactionError, match="marked for rollback"):
        t.commit()
    assert q.size() == 0
    assert current_transaction() is None


def test_transaction_is_per_thread() -> None:
    q = ListStore("q")
    t = begin_transaction()
    seen: list[object] = []

    def other() -> None:
        seen.append(current_transaction())
        queue_offer(q, "outside", 0)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(5)
    assert seen == [None]
    assert q.items() == ["outside"]
    t.rollback()
    assert q.items() == ["outside"]


def test_event_is_transacted_while_a_transaction_is_bound() -> None:
    e = MuleEvent.of(MuleMessage("x"))
    assert not e.transacted
    t = begin_transaction()
    assert e.transacted
    t.rollback()
    assert not e.transacted


# ------------------------------------------------------------------- actions (T2)


def test_always_begin_commits_on_success() -> None:
    q = ListStore("q")
    endpoint_template(tx("ALWAYS_BEGIN")).execute(lambda: queue_offer(q, "x", 0))
    assert q.items() == ["x"]


def test_always_join_without_transaction_fails() -> None:
    with pytest.raises(TransactionError, match="Always Join"):
        endpoint_template(tx("ALWAYS_JOIN")).execute(lambda: None)


def test_never_with_transaction_fails() -> None:
    t = begin_transaction()
    with pytest.raises(TransactionError, match='"Never"'):
        endpoint_template(tx("NEVER")).execute(lambda: None)
    t.rollback()


def test_begin_or_join_joins_the_current_transaction() -> None:
    q = ListStore("q")
    outer = begin_transaction()
    seen = endpoint_template(tx("BEGIN_OR_JOIN")).execute(current_transaction)
    assert seen is outer
    queue_offer(q, "x", 0)
    outer.rollback()
    assert q.size() == 0


def test_nested_always_begin_commits_the_outer_transaction_first() -> None:
    q = ListStore("q")
    outer = begin_transaction()
    queue_offer(q, "outer", 0)

    def inner() -> None:
        queue_offer(q, "inner", 0)
        raise TransactionError("inner fails")

    with pytest.raises(TransactionError):
        endpoint_template(tx("ALWAYS_BEGIN")).execute(inner)
    assert q.items() == ["outer"], "the outer transaction was committed before the inner began"
    assert not outer.active


def test_none_commits_the_current_transaction() -> None:
    q = ListStore("q")
    begin_transaction()
    queue_offer(q, "x", 0)
    endpoint_template(tx("NONE")).execute(lambda: None)
    assert q.items() == ["x"]
    assert current_transaction() is None


def test_not_supported_runs_outside_and_restores_the_transaction() -> None:
    q = ListStore("q")
    t = begin_transaction()
    queue_offer(q, "in tx", 0)
    endpoint_template(tx("NOT_SUPPORTED")).execute(lambda: queue_offer(q, "now", 0))
    assert q.items() == ["now"]
    assert current_transaction() is t
    t.rollback()
    assert q.items() == ["now"]


def test_xa_transaction_is_suspended_not_committed_by_always_begin() -> None:
    q = ListStore("q")
    outer = endpoint_template(tx("ALWAYS_BEGIN", kind="xa"))

    def body() -> None:
        xa = current_transaction()
        assert xa is not None and xa.xa
        queue_offer(q, "xa", 0)
        endpoint_template(tx("ALWAYS_BEGIN")).execute(lambda: queue_offer(q, "local", 0))
        assert q.items() == ["local"], "the XA work stays pending while suspended"
        assert current_transaction() is xa

    outer.execute(body)
    assert q.items() == ["local", "xa"]


# ------------------------------------------------------------------- error handling (T6)


def failing(q: ListStore) -> Any:
    def work() -> Any:
        queue_offer(q, "before failure", 0)
        raise MessagingError("boom", event=event())

    return work


def test_unhandled_failure_in_main_template_rolls_back_and_rethrows() -> None:
    q, handler = ListStore("q"), Handler(rollback=True)
    with pytest.raises(MessagingError):
        main_template(tx("ALWAYS_BEGIN"), handler).execute(failing(q))
    assert handler.calls == 1
    assert q.size() == 0


def test_handled_failure_commits_and_returns_the_strategy_result() -> None:
    q, handler = ListStore("q"), Handler(handled=True)
    result = main_template(tx("ALWAYS_BEGIN"), handler).execute(failing(q))
    assert isinstance(result, MuleEvent)
    assert q.items() == ["before failure"]


def test_scope_template_leaves_a_joined_transaction_to_its_owner() -> None:
    q = ListStore("q")
    outer = begin_transaction()
    handler = Handler(handled=True)
    scope_template(tx("BEGIN_OR_JOIN"), handler).execute(failing(q))
    assert current_transaction() is outer, "the scope joined; it must not resolve"
    outer.commit()
    assert q.items() == ["before failure"]


def test_main_template_resolves_a_joined_transaction_on_failure() -> None:
    q = ListStore("q")
    begin_transaction()
    with pytest.raises(MessagingError):
        main_template(tx("BEGIN_OR_JOIN"), Handler()).execute(failing(q))
    assert current_transaction() is None
    assert q.items() == ["before failure"], "not marked for rollback: resolved by commit"


def test_template_without_transaction_action_still_runs_the_handler() -> None:
    handler = Handler(handled=True)
    template = TransactionTemplate(None, handler=handler)
    result = template.execute(failing(ListStore("q")))
    assert handler.calls == 1 and isinstance(result, MuleEvent)


# ------------------------------------------------------------------- transacted poller (R4)


def test_transacted_poller_takes_one_message_per_transaction_and_commits() -> None:
    inq, outq = ListStore("in"), ListStore("out")
    for i in range(3):
        inq.put(i)
    routed: list[Any] = []

    def route(item: Any) -> None:
        assert current_transaction() is not None
        routed.append(item)
        queue_offer(outq, item * 10, 0)

    poller = TransactedPoller(inq, main_template(tx("ALWAYS_BEGIN"), Handler()), route, 0.01)
    assert poller.poll_once()
    assert routed == [0] and inq.size() == 2 and outq.items() == [0]
    while poller.poll_once():
        pass
    assert routed == [0, 1, 2] and outq.items() == [0, 10, 20]
    assert poller.poll_once() is False


def test_transacted_poller_redelivers_a_rolled_back_message_from_the_tail() -> None:
    inq = ListStore("in")
    inq.put("bad")
    inq.put("good")
    attempts: list[Any] = []

    def route(item: Any) -> None:
        attempts.append(item)
        if item == "bad" and attempts.count("bad") < 3:
            raise MessagingError("fails", event=event(item))

    poller = TransactedPoller(
        inq, main_template(tx("ALWAYS_BEGIN"), Handler(rollback=True)), route, 0.01
    )
    while poller.poll_once():
        pass
    assert attempts == ["bad", "good", "bad", "bad"]
    assert inq.size() == 0


# ------------------------------------------------------------------- <transactional> scope


def test_transactional_scope_rolls_back_with_the_default_strategy_and_commits_after_catch() -> None:
    from mule_emulator.runtime.exception_strategies import (
        CatchExceptionStrategy,
        DefaultExceptionStrategy,
    )
    from mule_emulator.runtime.processors.base import Chain, Processor
    from mule_emulator.runtime.transactional_scope import TransactionalScope

    q = ListStore("out")

    class OfferThenFail(Processor):
        def process(self, ev: MuleEvent) -> Any:
            queue_offer(q, ev.message.payload, 0)
            raise ValueError("fails in the middle")

    rollback_scope = TransactionalScope(
        Chain([OfferThenFail()]), scope_template(tx("ALWAYS_BEGIN"), DefaultExceptionStrategy())
    )
    with pytest.raises(MessagingError):
        rollback_scope.process(event("lost"))
    assert q.size() == 0 and current_transaction() is None
    catch_scope = TransactionalScope(
        Chain([OfferThenFail()]), scope_template(tx("ALWAYS_BEGIN"), CatchExceptionStrategy())
    )
    result = catch_scope.process(event("kept"))
    assert isinstance(result, MuleEvent)
    assert q.items() == ["kept"] and current_transaction() is None


# ------------------------------------------------------------------- persistent queues


def test_persistent_take_is_reserved_until_commit_and_rolls_back_to_the_tail(
    tmp_path: Any,
) -> None:
    """P4: a transacted take from a persistent queue stays on disk until commit; a
    rollback puts it behind the messages already waiting; commit deletes it and makes
    the transaction's persistent puts visible in the same change."""
    from mule_emulator.queues.persistent import PersistentQueueStore

    work = PersistentQueueStore("work", 0, tmp_path / "qs")
    done = PersistentQueueStore("done", 0, tmp_path / "qs")
    try:
        work.put("a")
        work.put("b")
        t = begin_transaction()
        assert queue_take(work, 0) == "a"
        assert work.statistics().in_flight == 1
        t.rollback()
        assert work.items() == ["b", "a"]
        t = begin_transaction()
        assert queue_take(work, 0) == "b"
        assert queue_offer(done, "b done", 0)
        assert done.size() == 0
        t.commit()
        assert work.items() == ["a"] and done.items() == ["b done"]
    finally:
        work.close()
        done.close()
    # Reopened: what was committed is durable.
    again = PersistentQueueStore("work", 0, tmp_path / "qs")
    try:
        assert again.items() == ["a"]
    finally:
        again.close()
