"""Faults spread down the topology (pure)."""

from __future__ import annotations

import pytest

from sitekeeper.errors import LabError, NotFound
from sitekeeper.lab.faults import UnknownDevice, degraded, effects, failed, flapping

# ups <- router <- switch <- cam ; switch <- ap ; ups <- pdu <- cam
ORDER = ["ups", "pdu", "router", "switch", "cam", "ap"]
PARENTS = {
    "ups": (),
    "pdu": ("ups",),
    "router": ("ups",),
    "switch": ("router",),
    "cam": ("switch", "pdu"),
    "ap": ("switch",),
}


def test_nothing_wrong_means_everything_up() -> None:
    assert {e.state for e in effects(ORDER, PARENTS, {}, set()).values()} == {"up"}


def test_a_failed_parent_takes_down_every_descendant_with_itself_as_cause() -> None:
    now = effects(ORDER, PARENTS, {"router": failed()}, set())
    assert {k for k, e in now.items() if e.state == "down"} == {"router", "switch", "cam", "ap"}
    assert now["cam"].cause == "router"
    assert now["pdu"].state == "up"


def test_any_one_parent_down_is_enough() -> None:
    now = effects(ORDER, PARENTS, {"pdu": failed()}, set())
    assert now["cam"].state == "down"
    assert now["cam"].cause == "pdu"
    assert now["ap"].state == "up"


def test_a_child_that_failed_itself_is_its_own_cause() -> None:
    now = effects(ORDER, PARENTS, {"cam": failed(), "switch": failed()}, set())
    assert now["cam"].cause == "cam"


def test_degradation_adds_latency_down_the_path_and_compounds_loss() -> None:
    now = effects(ORDER, PARENTS, {"switch": degraded(100, 50), "cam": degraded(20, 50)}, set())
    assert now["ap"].latency_ms == 100
    assert now["ap"].cause == "switch"
    assert now["cam"].latency_ms == 120
    assert now["cam"].loss_pct == 75
    assert now["cam"].cause == "cam"
    assert now["router"].state == "up"


def test_flapping_is_down_only_in_its_down_phase() -> None:
    faults = {"switch": flapping(1.0)}
    assert effects(ORDER, PARENTS, faults, {"switch"})["ap"].state == "down"
    assert effects(ORDER, PARENTS, faults, set())["ap"].state == "up"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: degraded(-1), "latency_ms"),
        (lambda: degraded(10, 101), "loss_pct"),
        (lambda: degraded(0, 0), "above 0"),
        (lambda: flapping(0.01), "period_s"),
    ],
)
def test_it_rejects_faults_that_make_no_sense(make, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LabError, match=message):
        make()


def test_an_unknown_device_error_lists_the_valid_ids_and_is_not_found() -> None:
    err = UnknownDevice("cam-9", ["cam-1", "cam-2"])
    assert isinstance(err, NotFound)
    assert isinstance(err, LabError)
    assert "cam-9" in str(err)
    assert "cam-1, cam-2" in str(err)
