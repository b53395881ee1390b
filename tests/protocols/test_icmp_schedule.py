"""The pinger's deadlines: items come out never before their deadline and at most one bucket
after, whatever order they were filed in."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from sitekeeper.protocols.icmp.schedule import Deadlines

PER_SECOND = 100


@given(st.lists(st.floats(1.0, 50.0), min_size=1, max_size=200))
@example([4.6])  # 4.6 * 100 is 459.99999999999994: the bucket must still come after it
def test_items_come_out_after_their_deadline_within_one_bucket(deadlines: list[float]) -> None:
    wheel: Deadlines[int] = Deadlines(PER_SECOND)
    for item, deadline in enumerate(deadlines):
        at = wheel.add(deadline, item)
        assert deadline < at <= deadline + 1 / PER_SECOND + 1e-9  # float slack
    out: list[tuple[float, int]] = []
    now = 0.0
    for _ in range(100_000):
        now = wheel.next_at
        if now == float("inf"):
            break
        out.extend((now, item) for item in wheel.due(now))
    assert sorted(item for _, item in out) == list(range(len(deadlines)))
    for at, item in out:
        assert deadlines[item] < at <= deadlines[item] + 1 / PER_SECOND + 1e-9


def test_nothing_comes_out_before_its_bucket() -> None:
    wheel: Deadlines[str] = Deadlines(PER_SECOND)
    wheel.add(2.0, "later")
    wheel.add(1.0, "sooner")
    assert list(wheel.due(0.999)) == []
    assert list(wheel.due(1.02)) == ["sooner"]
    assert wheel.next_at > 2.0
    assert list(wheel.due(3.0)) == ["later"]
    assert list(wheel.due(10.0)) == []


def test_an_item_taken_out_can_be_filed_again_while_the_rest_come_out() -> None:
    wheel: Deadlines[str] = Deadlines(PER_SECOND)
    for name in ("a", "b", "c"):
        wheel.add(1.0, name)
    seen = []
    for name in wheel.due(1.5):
        seen.append(name)
        if name == "b":
            wheel.add(2.0, "b again")  # filed for later: not in this round
    assert seen == ["a", "b", "c"]
    assert list(wheel.due(2.5)) == ["b again"]


def test_clearing_forgets_everything_and_the_last_bucket() -> None:
    wheel: Deadlines[int] = Deadlines(PER_SECOND)
    wheel.add(1.0, 1)
    wheel.clear()
    wheel.add(1.0, 2)  # the same bucket as before the clearing, filed anew
    assert list(wheel.due(2.0)) == [2]
