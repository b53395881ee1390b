"""Pure state engine: observations in, states and flips out. No I/O; time is passed in.

status, reason = classify(observation, spec)
state, flips = evaluate(prev_state, status, reason, policy, now, check_id)
device, flip = evaluate_device(prev_device_status, [(name, state), ...], now, device_id)
"""

from sitekeeper.state.classify import classify, next_delay, thresholds_for
from sitekeeper.state.device import device_status, evaluate_device
from sitekeeper.state.engine import evaluate, initial_state
from sitekeeper.state.flapping import FLAPPING, is_flapping_flip, percent_state_change
from sitekeeper.state.model import (
    CHECK_SEVERITY,
    DEVICE_SEVERITY,
    CheckState,
    CheckStatus,
    DeviceStatus,
    Flip,
    Policy,
    StateType,
)

__all__ = [
    "CHECK_SEVERITY",
    "DEVICE_SEVERITY",
    "FLAPPING",
    "CheckState",
    "CheckStatus",
    "DeviceStatus",
    "Flip",
    "Policy",
    "StateType",
    "classify",
    "device_status",
    "evaluate",
    "evaluate_device",
    "initial_state",
    "is_flapping_flip",
    "next_delay",
    "percent_state_change",
    "thresholds_for",
]
