"""Check specs for device protocols: MQTT, ONVIF, PJLink, RTSP, Sonos.

Same rules as `sitekeeper.checks.specs`: a spec says what to observe and how to judge it,
validated whole at load. Passwords are never inline: a check uses the device's named
credentials (kind `password`: username, password) or its own `credentials:` name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sitekeeper.checks.base import BaseCheck, check_regex
from sitekeeper.checks.duration import Duration


def _check_topic_filter(topic: str) -> str:
    """MQTT 3.1.1 §4.7: `#` only as the whole last level, `+` only as a whole level."""
    if not topic or len(topic.encode("utf-8")) > 65535 or "\0" in topic:
        raise ValueError("a topic must be 1 to 65535 bytes, without NUL")
    levels = topic.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise ValueError("`#` must be a whole level and the last one (e.g. zigbee2mqtt/#)")
        if "+" in level and level != "+":
            raise ValueError("`+` must be a whole level (e.g. shellies/+/online)")
    return topic


class MqttCheck(BaseCheck):
    """Subscribe to a topic and judge the first message (retained ones count).

    Values: payload, topic, retained, available (availability topics), json_value, age_s."""

    type: Literal["mqtt"] = "mqtt"
    topic: str  # `{device}` is the device's id; `+` and `#` wildcards allowed
    broker: str | None = None  # default: the device's address
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str | None = Field(default=None, max_length=23)  # default: random per run
    # Judge as online/offline (HA, Zigbee2MQTT, Shelly, Tasmota); None: when the topic is
    # a known availability topic (…/availability, …/LWT, …/online, …/status, bridge/state).
    availability: bool | None = None
    json_field: str | None = None  # dotted path into a JSON payload
    json_equals: str | int | float | bool | None = None
    payload_regex: str | None = None
    timestamp_field: str | None = None  # dotted path to ISO 8601 or epoch s/ms in the payload
    # The last message may be at most this old: retained messages count only with a
    # timestamp that young; otherwise the probe waits for a live one.
    max_age: Duration | None = None
    on_stale: Literal["fail", "unknown"] = "fail"  # no (fresh) message: CRIT or UNKNOWN

    _topic_valid = field_validator("topic")(_check_topic_filter)
    _regex_compiles = field_validator("payload_regex")(check_regex)

    @model_validator(mode="after")
    def _json(self) -> MqttCheck:
        if self.json_equals is not None and self.json_field is None:
            raise ValueError("json_equals needs json_field (the dotted path to compare)")
        return self


class PjlinkCheck(BaseCheck):
    """PJLink class 1/2 status of a projector or display.

    Values: power (0 off, 1 on, 2 cooling, 3 warm-up), power_state, input, lamp_hours,
    lamp_on, error_fan/lamp/temp/cover/filter/other (0 ok, 1 warning, 2 error), name,
    manufacturer, model, software_version (class 2), pjlink_class."""

    type: Literal["pjlink"] = "pjlink"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "pjlink"
    # Implicit thresholds on lamp_hours (see state.classify.thresholds_for).
    lamp_hours_warn: float | None = Field(default=None, gt=0)
    lamp_hours_crit: float | None = Field(default=None, gt=0)
    # Judge the six error-status fields (ERST): warning -> WARN, error -> CRIT.
    judge_errors: bool = True


class RtspCheck(BaseCheck):
    """RTSP OPTIONS and DESCRIBE: the stream is alive when DESCRIBE returns an SDP with media.

    Values: rtsp_status, media_video, media_audio, codecs, options_status, connect_ms."""

    type: Literal["rtsp"] = "rtsp"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "rtsp"
    path: str = "/"  # e.g. /Streaming/Channels/101 (Hikvision), /cam/realmonitor?channel=1
    url: str | None = None  # full rtsp:// URL; `{address}` and `{port}` are filled in
    options: bool = True  # send OPTIONS first, as players do
    require_video: bool = False  # a stream with audio only is not enough

    @model_validator(mode="after")
    def _target(self) -> RtspCheck:
        if not self.path.startswith("/"):
            raise ValueError("path must start with /")
        if self.url is not None and not self.url.startswith(("rtsp://", "rtsps://")):
            raise ValueError("url must start with rtsp://")
        return self


class OnvifCheck(BaseCheck):
    """ONVIF GetDeviceInformation of a camera or recorder (needs `sitekeeper[onvif]`).

    Values: manufacturer, model, firmware, serial, hardware_id."""

    type: Literal["onvif"] = "onvif"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "http"
    path: str = "/onvif/device_service"
    expect_firmware: str | None = None  # e.g. V5.7.3: a downgrade or reset shows up

    @model_validator(mode="after")
    def _path(self) -> OnvifCheck:
        if not self.path.startswith("/"):
            raise ValueError("path must start with / (e.g. /onvif/device_service)")
        return self


class SonosCheck(BaseCheck):
    """Sonos device description on port 1400.

    Values: model, model_number, software_version, room, zone_type, http_status."""

    type: Literal["sonos"] = "sonos"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "sonos"  # 1400 unless the device's `ports:` says otherwise
    expect_room: str | None = None  # the room name the speaker should report
