"""Applying inventories to the store, on SQLite and PostgreSQL: idempotent, retires what
left the file, leaves other clients alone, exports what it applied."""

from __future__ import annotations

import yaml
from sqlalchemy import func, select

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory, inventory_version
from sitekeeper.inventory.export import export_yaml
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.results.store import Store

SITE = """
defaults: {interval: 30s}
clients:
  - id: acme
    name: Acme Dental
    sites:
      - id: hq
        devices:
          - {id: gw, kind: router, address: 192.0.2.1, criticality: 5}
          - {id: sw, kind: switch, address: 192.0.2.2, depends_on: [gw]}
          - id: cam
            kind: camera
            address: 192.0.2.3
            depends_on: [sw]
            installed: 2023-04-01
            warranty_end: 2026-04-01
            credentials: vault/acme-cams
            checks:
              - {name: icmp, enabled: false}
"""


def _apply(store: Store, text: str, now: float = 1000.0, dry_run: bool = False):  # type: ignore[no-untyped-def]
    with store.session() as session:
        report = apply_inventory(session, parse_inventory(text), now, dry_run=dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def _active(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(m.Device.key).where(m.Device.retired_at.is_(None))))


def test_applying_creates_clients_sites_devices_and_checks(store: Store) -> None:
    report = _apply(store, SITE)
    assert set(report.added) == {"acme", "acme/hq", "acme/gw", "acme/sw", "acme/cam"}
    assert (
        report.checks_added == 2 + 2 + 2
    )  # router: icmp+dns-tcp; switch: icmp+web; camera: rtsp+web
    with store.session() as session:
        cam = session.scalar(select(m.Device).where(m.Device.key == "cam"))
        assert cam is not None
        assert cam.system == "security" and cam.depends_on == ["sw"]
        assert cam.credentials_ref == "vault/acme-cams"
        names = set(session.scalars(select(m.Check.name).where(m.Check.device_id == cam.id)))
        assert names == {"rtsp", "web"}
        assert inventory_version(session) == 1


def test_applying_the_same_file_twice_changes_nothing(store: Store) -> None:
    _apply(store, SITE)
    again = _apply(store, SITE, now=2000.0)
    assert not again.changed_anything
    assert again.unchanged == 3
    with store.session() as session:
        assert inventory_version(session) == 1
        assert session.scalar(select(func.count()).select_from(m.Audit)) == 1


def test_devices_removed_from_the_file_are_retired_not_deleted(store: Store) -> None:
    _apply(store, SITE)
    without_cam = SITE.split("          - id: cam")[0]
    report = _apply(store, without_cam, now=2000.0)
    assert report.retired == ["acme/cam"]
    assert report.checks_retired == 2
    assert _active(store) == {"gw", "sw"}
    with store.session() as session:
        cam = session.scalar(select(m.Device).where(m.Device.key == "cam"))
        assert cam is not None and cam.retired_at == 2000.0
        live = session.scalar(
            select(func.count())
            .select_from(m.Check)
            .where(m.Check.device_id == cam.id, m.Check.retired_at.is_(None))
        )
        assert live == 0
    # and coming back un-retires it, keeping its identity
    back = _apply(store, SITE, now=3000.0)
    assert "acme/cam" in back.changed
    assert _active(store) == {"gw", "sw", "cam"}


def test_a_changed_check_is_updated_in_place(store: Store) -> None:
    _apply(store, SITE)
    report = _apply(store, SITE.replace("interval: 30s", "interval: 45s"), now=2000.0)
    assert report.checks_changed == 6
    with store.session() as session:
        intervals = set(session.scalars(select(m.Check.interval)))
        assert intervals == {45.0}


def test_clients_not_in_the_file_are_left_alone(store: Store) -> None:
    _apply(store, SITE)
    other = "clients:\n  - id: globex\n    sites:\n      - id: hq\n        devices:\n          - {id: gw, kind: router, address: 198.51.100.1}\n"
    _apply(store, other, now=2000.0)
    with store.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(m.Device).where(m.Device.retired_at.is_(None))
            )
            == 4
        )


def test_a_dry_run_reports_but_changes_nothing(store: Store) -> None:
    report = _apply(store, SITE, dry_run=True)
    assert "acme/gw" in report.added
    assert _active(store) == set()


def test_export_applies_back_without_changes(store: Store) -> None:
    _apply(store, SITE)
    with store.session() as session:
        text = export_yaml(session)
    data = yaml.safe_load(text)
    assert data["defaults"] == {"interval": "30s"}
    assert [d["id"] for d in data["clients"][0]["sites"][0]["devices"]] == ["gw", "sw", "cam"]
    again = _apply(store, text, now=2000.0)
    assert not again.changed_anything
