"""The thresholds an `snmp` check implies, with the words a technician reads.

Only tables the check reads get thresholds, so a switch is never judged on battery
charge. A `say` may name other values in braces ("ports down: {ports_down_list}"):
state.classify fills them in, so the problem line says which port or which toner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitekeeper.checks.base import Threshold
from sitekeeper.checks.snmp.interfaces import port_down_value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck


def implicit_thresholds(spec: SnmpCheck) -> list[Threshold]:
    out: list[Threshold] = []
    if "ups" in spec.tables:
        out.append(Threshold(value="on_battery", crit_above=0, say="on battery"))
        out.append(Threshold(value="battery_low", crit_above=0, say="battery {battery_status}"))
        if spec.charge_warn_pct is not None or spec.charge_crit_pct is not None:
            out.append(
                Threshold(
                    value="charge_pct",
                    warn_below=spec.charge_warn_pct,
                    crit_below=spec.charge_crit_pct,
                    say="battery charge {charge_pct}%",
                )
            )
    if "printer" in spec.tables and spec.supply_warn_pct is not None:
        out.append(
            Threshold(
                value="supply_min_pct",
                warn_below=spec.supply_warn_pct,
                say="{supply_low_kind} low ({supply_low})",
            )
        )
    if "interfaces" in spec.tables:
        out.extend(_interfaces(spec))
    for item in spec.oids:
        if item.judged:
            out.append(
                Threshold(
                    value=item.name,
                    warn_above=item.warn_above,
                    crit_above=item.crit_above,
                    warn_below=item.warn_below,
                    crit_below=item.crit_below,
                    say=item.say,
                )
            )
    return out


def _interfaces(spec: SnmpCheck) -> list[Threshold]:
    opts = spec.interfaces
    out = [
        Threshold(value=port_down_value(port), crit_above=0, say=f"port {port} down")
        for port in opts.expect_up
    ]
    if opts.all_admin_up:
        out.append(Threshold(value="ports_down", crit_above=0, say="ports down: {ports_down_list}"))
    if opts.util_warn_pct is not None or opts.util_crit_pct is not None:
        out.append(
            Threshold(
                value="util_max_pct",
                warn_above=opts.util_warn_pct,
                crit_above=opts.util_crit_pct,
                say="port {util_max_port} at {util_max_pct}% of its speed",
            )
        )
    if opts.errors_warn_ps is not None:
        out.append(
            Threshold(
                value="errors_max_ps",
                warn_above=opts.errors_warn_ps,
                say="port {errors_max_port}: {errors_max_ps} errors/s",
            )
        )
    return out
