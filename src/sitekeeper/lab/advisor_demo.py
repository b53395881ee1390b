"""Two break-fix clients with three years of ticket history, for the advisor out of the box.

- `home`: a young, well-behaved house (12 devices, stated downtime cost 25/h, 24/7, a 48 h
  tolerance) with a handful of unrelated tickets in three years: break-fix still fits.
- `office`: a 40-device office (25 staff, a server behind every seat, redundant edge routers,
  one UPS and one core switch) whose tickets rise about 40 % a year, repeat on the same
  devices and causes, and include long server and internet outages: it has outgrown
  break-fix, and managed service pays.

Neither client is monitored (break-fix clients are not): their devices have no checks, so
the lab sends them no traffic. Everything is generated from a fixed seed relative to
`today`, so the story is the same on every machine and every day.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

HISTORY_DAYS = 3 * 365
SEED = 20231108


@dataclass(frozen=True)
class DemoDevice:
    key: str
    kind: str
    criticality: int
    age_days: int
    depends_on: tuple[str, ...] = ()
    depends_mode: str = "all"


def _home() -> list[DemoDevice]:
    young = HISTORY_DAYS + 120  # installed just before the history starts
    return [
        DemoDevice("router", "router", 3, young),
        DemoDevice("switch", "switch", 3, young, ("router",)),
        DemoDevice("ap-living", "access_point", 2, young, ("switch",)),
        DemoDevice("ap-upstairs", "access_point", 2, young, ("switch",)),
        DemoDevice("tv-living", "display", 2, young, ("switch",)),
        DemoDevice("sonos-living", "audio_zone", 1, young, ("switch",)),
        DemoDevice("sonos-kitchen", "audio_zone", 1, young, ("switch",)),
        DemoDevice("cam-door", "camera", 2, young, ("switch",)),
        DemoDevice("cam-garage", "camera", 1, young, ("switch",)),
        DemoDevice("lighting", "lighting_processor", 2, young, ("switch",)),
        DemoDevice("thermostat", "thermostat", 2, young, ("ap-living",)),
        DemoDevice("keypad-hall", "keypad", 1, young, ("lighting",)),
    ]


def _office() -> list[DemoDevice]:
    old = 5 * 365
    devs = [
        DemoDevice("ups", "ups", 5, 4 * 365),
        DemoDevice("router-a", "router", 4, old, ("ups",)),
        DemoDevice("router-b", "router", 4, old, ("ups",)),
        DemoDevice("firewall", "firewall", 4, old, ("router-a", "router-b"), "any"),
        DemoDevice("core", "switch", 5, old, ("firewall", "ups")),
        DemoDevice("access-1", "switch", 4, old, ("core",)),
        DemoDevice("access-2", "switch", 4, old, ("core",)),
        DemoDevice("server", "server", 5, 6 * 365, ("core", "ups")),
        DemoDevice("nas", "nas", 4, old, ("core", "ups")),
        DemoDevice("nvr", "nvr", 2, old, ("access-2",)),
        DemoDevice("codec", "conferencing_codec", 3, 3 * 365, ("access-1",)),
        DemoDevice("display-board", "display", 2, 3 * 365, ("codec",)),
    ]
    devs += [DemoDevice(f"ap-{i}", "access_point", 3, old, ("access-1",)) for i in range(1, 5)]
    devs += [DemoDevice(f"printer-{i}", "printer", 2, old, ("access-1",)) for i in (1, 2)]
    devs += [DemoDevice(f"cam-{i}", "camera", 2, old, ("access-2",)) for i in range(1, 7)]
    devs += [
        DemoDevice(f"ws-{i:02d}", "workstation", 2, 4 * 365, ("access-1", "server"))
        for i in range(1, 17)
    ]
    return devs


def _device_yaml(d: DemoDevice, today: date, octet: int, net: int) -> str:
    installed = today - timedelta(days=d.age_days)
    line = (
        f"          - {{id: {d.key}, kind: {d.kind}, address: 127.78.{net}.{octet}, "
        f"criticality: {d.criticality}, installed: {installed.isoformat()}, "
        "profile_checks: false"
    )
    if d.depends_on:
        line += f", depends_on: [{', '.join(d.depends_on)}]"
    if d.depends_mode != "all":
        line += f", depends_mode: {d.depends_mode}"
    return line + "}\n"


def inventory_yaml(today: date) -> str:
    """The two clients' inventory (break-fix plans, downtime costs, a rate card)."""
    home = "".join(_device_yaml(d, today, i + 1, 1) for i, d in enumerate(_home()))
    office = "".join(_device_yaml(d, today, i + 1, 2) for i, d in enumerate(_office()))
    return f"""version: 1
clients:
  - id: home
    name: The Ashcroft house
    service:
      plan: break-fix
      downtime_cost: 25
      hours: 24x7
      tolerance_hours: 48
      users: 4
    sites:
      - id: house
        timezone: Europe/London
        devices:
{home}  - id: office
    name: Harbour Dental Group
    service:
      plan: break-fix
      employees: 25
      users: 25
      revenue_per_hour: 2000
      revenue_lost_share: 0.3
      hours: office
      tolerance_hours: 8
      rate_card: {{bf_rate: 150, trip_charge: 50, site_fee: 100}}
    sites:
      - id: main
        timezone: Europe/London
        devices:
{office}"""


HOME_TICKETS = (
    # (days ago, device, cause, impact, hours to restore, labour)
    (980, "ap-upstairs", "firmware update", 0.05, 30.0, 1.0),
    (610, "tv-living", "hdmi handshake", 0.05, 50.0, 1.0),
    (240, "router", "isp outage", 0.6, 6.0, 0.5),
    (75, "sonos-kitchen", "app update", 0.02, 72.0, 0.5),
)

OFFICE_CAUSES = {
    "workstation": ("outlook profile", "printer driver", "slow boot", "windows update", "vpn"),
    "server": ("disk full", "backup failed", "service crash"),
    "router": ("isp outage", "dhcp scope full"),
    "firewall": ("vpn tunnel down", "firmware"),
    "printer": ("paper jam sensor", "printer driver"),
    "access_point": ("wifi drops",),
    "switch": ("port flapping",),
    "nas": ("disk warning",),
    "camera": ("camera offline",),
    "conferencing_codec": ("call drops",),
}
# A: how often each kind is the subject of an office ticket (weights)
OFFICE_WEIGHTS = {
    "workstation": 10.0,
    "printer": 2.5,
    "server": 1.6,
    "router": 1.2,
    "firewall": 0.6,
    "access_point": 1.2,
    "switch": 0.4,
    "nas": 0.4,
    "camera": 0.8,
    "conferencing_codec": 0.8,
}
OFFICE_SHARE = {
    "server": 0.9,
    "router": 0.8,
    "firewall": 0.8,
    "switch": 0.3,
    "nas": 0.3,
    "access_point": 0.15,
    "conferencing_codec": 0.1,
    "printer": 0.05,
    "camera": 0.02,
    "workstation": 0.04,
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _office_hour(rng: random.Random, day: date) -> datetime:
    """A moment users notice a problem: mostly on working days, in working hours."""
    while day.weekday() >= 5 and rng.random() < 0.8:
        day -= timedelta(days=1)
    return datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(60)))


def _restore_hours(rng: random.Random, impact: float) -> float:
    """Break-fix: an emergency call-out for a big outage, otherwise the next free slot."""
    if impact >= 0.3:
        return 4.0 + rng.lognormvariate(1.6, 0.7)  # ~5 h, and sometimes a day or two
    return rng.lognormvariate(3.2, 0.6)  # ~1 day of waiting, repair included


def ticket_csv(client: str, today: date) -> str:
    """The client's three years of tickets as the CSV `sitekeeper history import` reads."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["ref", "opened", "restored", "device", "root_cause", "impact", "labour_hours", "billed"]
    )
    if client == "home":
        for n, (ago, dev, cause, impact, hours, labour) in enumerate(HOME_TICKETS, 1):
            opened = datetime.combine(today - timedelta(days=ago), time(10, 30))
            w.writerow(
                [
                    f"H-{n:04d}",
                    _stamp(opened),
                    _stamp(opened + timedelta(hours=hours)),
                    dev,
                    cause,
                    impact,
                    labour,
                    round(150 * max(labour, 1.0) + 50, 2),
                ]
            )
        return out.getvalue()
    if client != "office":
        raise ValueError(f"no demo history for client {client!r}; use home or office")
    rng = random.Random(SEED)
    by_kind: dict[str, list[str]] = {}
    for d in _office():
        by_kind.setdefault(d.kind, []).append(d.key)
    kinds = list(OFFICE_WEIGHTS)
    weights = [OFFICE_WEIGHTS[k] for k in kinds]
    n = 0
    for day_index in range(HISTORY_DAYS, 0, -1):
        months_in = (HISTORY_DAYS - day_index) / 30.4
        per_day = 2.5 / 30.4 * 1.4 ** (months_in / 12.0)  # 2.5 a month, rising 40 % a year
        if rng.random() >= per_day:
            continue
        kind = rng.choices(kinds, weights)[0]
        device = rng.choice(by_kind[kind])
        opened = _office_hour(rng, today - timedelta(days=day_index))
        impact = OFFICE_SHARE[kind]
        hours = _restore_hours(rng, impact)
        labour = round(min(hours, 0.5 + rng.expovariate(1 / 1.5)), 2)
        n += 1
        w.writerow(
            [
                f"O-{n:04d}",
                _stamp(opened),
                _stamp(opened + timedelta(hours=hours)),
                device,
                rng.choice(OFFICE_CAUSES[kind]),
                impact,
                labour,
                round(150 * max(labour, 1.0) * (1.5 if impact >= 0.3 else 1.0) + 50, 2),
            ]
        )
    return out.getvalue()
