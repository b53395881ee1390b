"""A deliberately literal transcription of Nagios Core's service state logic, as a test oracle.

Transcribed from Nagios Core 4:
- `base/checks.c`, `handle_async_service_check_result()`: the soft/hard bookkeeping, with the
  host always UP (no host_problem_at_last_check, route_result == HOST_UP);
- `base/flapping.c`, `check_for_service_flapping()`: the ring buffer, index and curved loop;
- `common/objects.c`, `add_service()`: the history is seeded with STATE_OK, index 0;
- `base/flapping.c`, `handle_service_flap_detection_disabled()`: disabling clears the flag.

It keeps the C names, integer states and the ring buffer on purpose: it must not share a
single idea with `sitekeeper.state` beyond what Nagios itself says. Do not tidy it up.
"""

from __future__ import annotations

STATE_OK = 0
STATE_WARNING = 1
STATE_CRITICAL = 2
STATE_UNKNOWN = 3
SOFT_STATE = 0
HARD_STATE = 1
TRUE = True
FALSE = False

MAX_STATE_HISTORY_ENTRIES = 21


class NagiosService:
    def __init__(
        self,
        max_attempts: int,
        low_flap_threshold: float,
        high_flap_threshold: float,
        flap_detection_enabled: bool = TRUE,
    ) -> None:
        # add_service()
        self.max_attempts = max_attempts
        self.low_flap_threshold = low_flap_threshold
        self.high_flap_threshold = high_flap_threshold
        self.flap_detection_enabled = flap_detection_enabled
        self.current_state = STATE_OK
        self.last_state = STATE_OK
        self.last_hard_state = STATE_OK
        self.state_type = HARD_STATE
        self.current_attempt = 1
        self.state_history = [STATE_OK] * MAX_STATE_HISTORY_ENTRIES
        self.state_history_index = 0
        self.is_flapping = FALSE
        self.percent_state_change = 0.0
        # What the last result did, for comparing flips.
        self.state_change = FALSE
        self.hard_state_change = FALSE

    def handle_async_service_check_result(self, return_code: int) -> None:
        state_change = FALSE
        hard_state_change = FALSE
        flapping_check_done = FALSE

        # flap detection turned off since the last result (disable_service_flap_detection)
        if self.flap_detection_enabled == FALSE:
            self.handle_service_flap_detection_disabled()

        self.last_state = self.current_state
        self.current_state = return_code

        if self.state_type == SOFT_STATE and (self.current_attempt < self.max_attempts):
            self.current_attempt = self.current_attempt + 1

        if self.current_state != self.last_state:
            state_change = TRUE

        if self.current_attempt >= self.max_attempts and self.current_state != self.last_hard_state:
            hard_state_change = TRUE

        if self.current_state == STATE_OK:
            if hard_state_change == TRUE:
                self.state_type = HARD_STATE
                self.check_for_service_flapping(TRUE)
                flapping_check_done = TRUE
            elif state_change == TRUE:
                self.state_type = SOFT_STATE
            # reset all service variables because its okay now...
            self.current_attempt = 1
            self.state_type = HARD_STATE
            self.last_hard_state = STATE_OK
        else:
            if self.current_attempt < self.max_attempts:
                # the host is up, so continue to retry the service check
                self.state_type = SOFT_STATE
            else:
                self.state_type = HARD_STATE
                self.check_for_service_flapping(TRUE)
                flapping_check_done = TRUE
                self.last_hard_state = self.current_state

        if flapping_check_done == FALSE:
            self.check_for_service_flapping(TRUE)

        self.state_change = state_change
        self.hard_state_change = hard_state_change

    def check_for_service_flapping(self, update: bool) -> None:
        is_flapping = FALSE
        x = 0
        y = 0
        last_state_history_value = STATE_OK
        curved_changes = 0.0
        curved_percent_change = 0.0
        low_curve_value = 0.75
        high_curve_value = 1.25

        if self.state_type == SOFT_STATE and self.current_state != STATE_OK:
            return

        low_threshold = self.low_flap_threshold
        high_threshold = self.high_flap_threshold

        update_history = update

        if update_history == TRUE:
            self.state_history[self.state_history_index] = self.current_state
            self.state_history_index += 1
            if self.state_history_index >= MAX_STATE_HISTORY_ENTRIES:
                self.state_history_index = 0

        x = 0
        y = self.state_history_index
        while x < MAX_STATE_HISTORY_ENTRIES:
            if x == 0:
                last_state_history_value = self.state_history[y]
                y += 1
                if y >= MAX_STATE_HISTORY_ENTRIES:
                    y = 0
                x += 1
                continue

            if last_state_history_value != self.state_history[y]:
                curved_changes += (
                    (float(x - 1) * (high_curve_value - low_curve_value))
                    / float(MAX_STATE_HISTORY_ENTRIES - 2)
                ) + low_curve_value

            last_state_history_value = self.state_history[y]

            y += 1
            if y >= MAX_STATE_HISTORY_ENTRIES:
                y = 0
            x += 1

        curved_percent_change = (curved_changes * 100.0) / float(MAX_STATE_HISTORY_ENTRIES - 1)

        self.percent_state_change = curved_percent_change

        if self.flap_detection_enabled == FALSE:
            return

        if curved_percent_change > low_threshold and curved_percent_change < high_threshold:
            return
        elif curved_percent_change <= low_threshold:  # noqa: RET505 (literal C)
            is_flapping = FALSE
        elif curved_percent_change >= high_threshold:
            is_flapping = TRUE

        if is_flapping == TRUE and self.is_flapping == FALSE:
            self.is_flapping = TRUE  # set_service_flap()
        elif is_flapping == FALSE and self.is_flapping == TRUE:
            self.is_flapping = FALSE  # clear_service_flap()

    def handle_service_flap_detection_disabled(self) -> None:
        if self.is_flapping == TRUE:
            self.is_flapping = FALSE
