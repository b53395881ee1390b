"""Vendor, model and firmware from real devices' sysDescr strings; counter arithmetic."""

from __future__ import annotations

import pytest

from sitekeeper.checks.snmp.counters import delta, per_second, restarted
from sitekeeper.checks.snmp.sysdescr import Identity, identify

DESCRS = [
    (
        "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E3, "
        "RELEASE SOFTWARE (fc3)\r\nTechnical Support: http://www.cisco.com/techsupport",
        Identity("Cisco", "C2960X", "15.2(7)E3"),
    ),
    (
        "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), "
        "Version 17.3.4, RELEASE SOFTWARE (fc3)",
        Identity("Cisco", "Catalyst L3 Switch", "17.3.4"),
    ),
    (
        "CBS350-24FP-4G 24-Port Gigabit PoE Managed Switch",
        Identity("Cisco", "CBS350-24FP-4G", None),
    ),
    (
        "Linux nas 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64",
        Identity("Linux", None, "6.1.0-18-amd64"),
    ),
    (
        "APC Web/SNMP Management Card (MB:v4.2.1 PF:v2.5.0.6 PN:apc_hw21_aos_2.5.0.6.bin "
        "AF1:v2.5.0.6 AN1:apc_hw21_su_2.5.0.6.bin MN:AP9641 HR:B0 SN: ZA1234567890 "
        "MD:03/15/2022)",
        Identity("APC", "AP9641", "2.5.0.6"),
    ),
    (
        "EdgeSwitch 24-Port 250W, 1.9.3.5249046, Linux 3.6.5-f4a26ed5, 1.2.1",
        Identity("Ubiquiti", "EdgeSwitch 24-Port 250W", "1.9.3.5249046"),
    ),
    (
        "USW-Pro-24-PoE, 7.0.50.15613, Linux 3.6.5",
        Identity("Ubiquiti", "USW-Pro-24-PoE", "7.0.50.15613"),
    ),
    (
        "EdgeOS v2.0.9-hotfix.7.5622731.230615.0857",
        Identity("Ubiquiti", "EdgeRouter", "v2.0.9-hotfix.7.5622731.230615.0857"),
    ),
    (
        "HP J9773A 2530-24G-PoEP Switch, revision YA.16.10.0009, ROM YA.15.20 (/ws/swbuildm/)",
        Identity("HP", "J9773A 2530-24G-PoEP Switch", "YA.16.10.0009"),
    ),
    (
        "Aruba JL258A 2930F-8G-PoE+-2SFP+ Switch, revision WC.16.10.0009, ROM WC.16.01.0008",
        Identity("Aruba", "JL258A 2930F-8G-PoE+-2SFP+ Switch", "WC.16.10.0009"),
    ),
    (
        "HPE OfficeConnect Switch 1920S 24G 2SFP JL381A, PD.02.05, Linux 3.6.5-ac96795c",
        Identity("HP", "OfficeConnect Switch 1920S 24G 2SFP JL381A", "PD.02.05"),
    ),
]


@pytest.mark.parametrize(("descr", "expected"), DESCRS)
def test_it_reads_vendor_model_and_firmware(descr: str, expected: Identity) -> None:
    assert identify(descr) == expected


def test_an_unknown_sysdescr_falls_back_to_the_enterprise_number() -> None:
    assert identify("RackPDU", "1.3.6.1.4.1.318.1.3.4.5") == Identity("APC")
    assert identify("Device", "1.3.6.1.4.1.99999.1") == Identity()
    assert identify(None, None) == Identity()


def test_counters_wrap_at_their_width_and_a_fall_of_a_64_bit_one_is_a_reset() -> None:
    assert delta(4294967000, 704, 32) == 1000
    assert delta(2**64 - 10, 90, 64) == 100
    assert delta(900_000_000_000, 1000, 64) is None  # cleared counters
    assert per_second(100, 700, 64, 60.0) == 10.0
    assert per_second(100, 700, 64, 0.0) is None


def test_uptime_going_down_is_a_restart_unless_it_wrapped_at_497_days() -> None:
    assert not restarted(1000, 7000, 60.0)
    assert restarted(360_000_000, 4500, 60.0)
    assert not restarted(2**32 - 1000, 5000, 60.0)  # 10 s before the wrap, 60 s later
    assert restarted(2**32 - 1000, 5000, 3600.0)  # an hour passed: that is no wrap
