"""Device kinds and systems. Each kind has a default system; choices carry (value, label)."""

from __future__ import annotations

from enum import StrEnum


class System(StrEnum):
    NETWORK = "network"
    AV = "av"
    CONTROL = "control"
    SECURITY = "security"
    POWER = "power"
    IT = "it"


class DeviceKind(StrEnum):
    ROUTER = "router"
    FIREWALL = "firewall"
    SWITCH = "switch"
    ACCESS_POINT = "access_point"
    MODEM = "modem"
    SERVER = "server"
    NAS = "nas"
    WORKSTATION = "workstation"
    PRINTER = "printer"
    CAMERA = "camera"
    NVR = "nvr"
    ACCESS_CONTROL = "access_control"
    DISPLAY = "display"
    PROJECTOR = "projector"
    AV_RECEIVER = "av_receiver"  # AV receiver or amplifier
    MATRIX = "matrix"  # matrix / switcher
    CONFERENCING_CODEC = "conferencing_codec"
    STREAMING_DEVICE = "streaming_device"
    AUDIO_ZONE = "audio_zone"  # speaker / audio zone
    LIGHTING_PROCESSOR = "lighting_processor"
    SHADE_CONTROLLER = "shade_controller"
    CONTROL_PROCESSOR = "control_processor"
    KEYPAD = "keypad"  # keypad / touch panel
    THERMOSTAT = "thermostat"
    VOICE_ASSISTANT = "voice_assistant"
    UPS = "ups"
    PDU = "pdu"  # PDU / smart outlet
    OTHER = "other"


KIND_LABELS: dict[DeviceKind, str] = {
    DeviceKind.ROUTER: "Router",
    DeviceKind.FIREWALL: "Firewall",
    DeviceKind.SWITCH: "Switch",
    DeviceKind.ACCESS_POINT: "Access point",
    DeviceKind.MODEM: "Modem",
    DeviceKind.SERVER: "Server",
    DeviceKind.NAS: "NAS",
    DeviceKind.WORKSTATION: "Workstation",
    DeviceKind.PRINTER: "Printer",
    DeviceKind.CAMERA: "Camera",
    DeviceKind.NVR: "NVR",
    DeviceKind.ACCESS_CONTROL: "Access control",
    DeviceKind.DISPLAY: "Display",
    DeviceKind.PROJECTOR: "Projector",
    DeviceKind.AV_RECEIVER: "AV receiver / amplifier",
    DeviceKind.MATRIX: "Matrix / switcher",
    DeviceKind.CONFERENCING_CODEC: "Conferencing codec",
    DeviceKind.STREAMING_DEVICE: "Streaming device",
    DeviceKind.AUDIO_ZONE: "Speaker / audio zone",
    DeviceKind.LIGHTING_PROCESSOR: "Lighting processor",
    DeviceKind.SHADE_CONTROLLER: "Shade controller",
    DeviceKind.CONTROL_PROCESSOR: "Control processor",
    DeviceKind.KEYPAD: "Keypad / touch panel",
    DeviceKind.THERMOSTAT: "Thermostat",
    DeviceKind.VOICE_ASSISTANT: "Voice assistant",
    DeviceKind.UPS: "UPS",
    DeviceKind.PDU: "PDU / smart outlet",
    DeviceKind.OTHER: "Other",
}

DEFAULT_SYSTEM: dict[DeviceKind, System] = {
    DeviceKind.ROUTER: System.NETWORK,
    DeviceKind.FIREWALL: System.NETWORK,
    DeviceKind.SWITCH: System.NETWORK,
    DeviceKind.ACCESS_POINT: System.NETWORK,
    DeviceKind.MODEM: System.NETWORK,
    DeviceKind.SERVER: System.IT,
    DeviceKind.NAS: System.IT,
    DeviceKind.WORKSTATION: System.IT,
    DeviceKind.PRINTER: System.IT,
    DeviceKind.CAMERA: System.SECURITY,
    DeviceKind.NVR: System.SECURITY,
    DeviceKind.ACCESS_CONTROL: System.SECURITY,
    DeviceKind.DISPLAY: System.AV,
    DeviceKind.PROJECTOR: System.AV,
    DeviceKind.AV_RECEIVER: System.AV,
    DeviceKind.MATRIX: System.AV,
    DeviceKind.CONFERENCING_CODEC: System.AV,
    DeviceKind.STREAMING_DEVICE: System.AV,
    DeviceKind.AUDIO_ZONE: System.AV,
    DeviceKind.LIGHTING_PROCESSOR: System.CONTROL,
    DeviceKind.SHADE_CONTROLLER: System.CONTROL,
    DeviceKind.CONTROL_PROCESSOR: System.CONTROL,
    DeviceKind.KEYPAD: System.CONTROL,
    DeviceKind.THERMOSTAT: System.CONTROL,
    DeviceKind.VOICE_ASSISTANT: System.CONTROL,
    DeviceKind.UPS: System.POWER,
    DeviceKind.PDU: System.POWER,
    DeviceKind.OTHER: System.IT,
}
