"""/metrics in the Prometheus exposition format.

Per device and check: status (one series per status, 1 for the current one), latency, last
result time. For admins also the collector: runs, missed runs, start lateness, in-flight
checks, the results queue and writes. Scraping needs a token (`authorization: Bearer` in the
scrape config); what a token sees is scoped like every other route: a technician's token
exports only their clients.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select

from sitekeeper.api.deps import CurrentUser, SessionDep
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.state.model import CheckStatus, DeviceStatus

router = APIRouter(include_in_schema=False)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Store(Collector):
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def collect(self) -> Iterator[Metric]:
        session = self.scope.session
        device_status = GaugeMetricFamily(
            "sitekeeper_device_status",
            "1 for the device's current status",
            labels=["client", "site", "device", "kind", "system", "status"],
        )
        stmt = (
            select(m.Device, m.Client.key, m.Site.key, m.DeviceState.status)
            .join(m.Client, m.Client.id == m.Device.client_id)
            .join(m.Site, m.Site.id == m.Device.site_id)
            .outerjoin(m.DeviceState, m.DeviceState.device_id == m.Device.id)
            .where(m.Device.retired_at.is_(None))
        )
        for device, client, site, status in session.execute(
            self.scope.where(stmt, m.Device.client_id)
        ):
            current = status or DeviceStatus.UNKNOWN.value
            for s in DeviceStatus:
                device_status.add_metric(
                    [client, site, device.key, device.kind, device.system, s.value],
                    1.0 if s.value == current else 0.0,
                )
        yield device_status

        labels = ["client", "device", "check", "type"]
        check_status = GaugeMetricFamily(
            "sitekeeper_check_status",
            "1 for the check's current hard status",
            labels=[*labels, "status"],
        )
        latency = GaugeMetricFamily(
            "sitekeeper_check_latency_seconds", "latency of the last result", labels=labels
        )
        last = GaugeMetricFamily(
            "sitekeeper_check_last_result_timestamp_seconds",
            "when the check last reported",
            labels=labels,
        )
        cstmt = (
            select(m.Check, m.Device.key, m.Client.key, m.CheckState)
            .join(m.Device, m.Device.id == m.Check.device_id)
            .join(m.Client, m.Client.id == m.Check.client_id)
            .outerjoin(m.CheckState, m.CheckState.check_id == m.Check.id)
            .where(m.Check.retired_at.is_(None), m.Device.retired_at.is_(None))
        )
        for check, device_key, client, state in session.execute(
            self.scope.where(cstmt, m.Check.client_id)
        ):
            base = [client, device_key, check.name, check.type]
            current = state.hard_status if state else CheckStatus.UNKNOWN.value
            for cs in CheckStatus:
                check_status.add_metric([*base, cs.value], 1.0 if cs.value == current else 0.0)
            if state is not None:
                if state.latency_ms is not None:
                    latency.add_metric(base, state.latency_ms / 1000.0)
                last.add_metric(base, state.last_result_at)
        yield check_status
        yield latency
        yield last


class _Runtime(Collector):
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        stats = self.runtime.scheduler.stats
        sink = self.runtime.sink
        yield CounterMetricFamily(
            "sitekeeper_collector_runs", "check runs started", value=stats.runs
        )
        yield CounterMetricFamily(
            "sitekeeper_collector_missed_runs",
            "scheduled runs skipped (previous run unfinished or collector behind)",
            value=stats.missed,
        )
        yield GaugeMetricFamily(
            "sitekeeper_collector_checks", "checks scheduled", value=len(self.runtime.scheduler)
        )
        yield GaugeMetricFamily(
            "sitekeeper_collector_in_flight", "checks running now", value=stats.in_flight
        )
        lateness = GaugeMetricFamily(
            "sitekeeper_collector_start_lateness_seconds",
            "how late checks started, over the recent runs",
            labels=["quantile"],
        )
        lat = stats.lateness()
        lateness.add_metric(["0.5"], lat["p50_ms"] / 1000)
        lateness.add_metric(["0.99"], lat["p99_ms"] / 1000)
        lateness.add_metric(["1"], lat["max_ms"] / 1000)
        yield lateness
        yield GaugeMetricFamily(
            "sitekeeper_results_queue_depth", "results waiting to be stored", value=sink.queue_depth
        )
        yield CounterMetricFamily("sitekeeper_results_stored", "results stored", value=sink.stored)
        yield CounterMetricFamily(
            "sitekeeper_results_write_errors",
            "failed result writes (retried)",
            value=sink.write_errors,
        )
        yield GaugeMetricFamily(
            "sitekeeper_collector_running",
            "1 while the collector runs",
            value=1.0 if self.runtime.running else 0.0,
        )


@router.get("/metrics")
def metrics(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Store(Scope(session, principal)))
    runtime = request.app.state.runtime
    if runtime is not None and principal.is_admin:
        registry.register(_Runtime(runtime))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
