"""The packaged lab inventory is a valid inventory with the topology the demo relies on."""

from __future__ import annotations

import ipaddress

import pytest
import yaml
from labkit import resolve_checks

from sitekeeper.inventory.models import Inventory
from sitekeeper.lab import site_inventory_path
from sitekeeper.lab.plan import SERVICE_OFFSETS, mqtt_dialect

MQTT_DEVICES = {"zigbee-bridge", "fridge-sensor", "fridge-plug", "sign-relay"}


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return Inventory.model_validate(yaml.safe_load(site_inventory_path().read_text()))


def descendants(inventory: Inventory, root: str) -> set[str]:
    devices = inventory.clients[0].sites[0].devices
    below: set[str] = set()
    frontier = {root}
    while frontier:
        frontier = {d.id for d in devices if set(d.depends_on) & frontier} - below
        below |= frontier
    return below


def test_it_is_one_client_one_site_with_26_devices_and_4_on_the_broker(
    inventory: Inventory,
) -> None:
    assert [c.id for c in inventory.clients] == ["lab"]
    (site,) = inventory.clients[0].sites
    assert len(site.devices) == 30
    assert len({d.id for d in site.devices}) == 30
    assert {d.id for d in site.devices if mqtt_dialect(d.tags)} == MQTT_DEVICES


def test_each_device_has_its_own_loopback_address(inventory: Inventory) -> None:
    devices = inventory.clients[0].sites[0].devices
    addresses = [ipaddress.ip_address(d.address) for d in devices]
    assert len(set(addresses)) == len(addresses)
    assert all(a in ipaddress.ip_network("127.77.0.0/24") for a in addresses)


def test_depends_on_has_no_dangling_or_circular_edges(inventory: Inventory) -> None:
    devices = inventory.clients[0].sites[0].devices
    ids = {d.id for d in devices}
    for d in devices:
        assert set(d.depends_on) <= ids, d.id
    for d in devices:
        assert d.id not in descendants(inventory, d.id), f"{d.id} is on a cycle"


def test_core_switch_carries_about_twenty_devices(inventory: Inventory) -> None:
    below = descendants(inventory, "core-switch")
    assert len(below) >= 20
    assert {"cam-1", "nvr", "projector", "codec", "lighting", "nas"} <= below
    assert "router" not in below
    assert len(descendants(inventory, "ups")) == 29  # everything runs on the UPS


def test_icmp_is_off_so_faults_are_visible(inventory: Inventory) -> None:
    assert "icmp" in inventory.defaults.disable_checks


def test_every_device_has_checks_on_unprivileged_named_ports(inventory: Inventory) -> None:
    for device in inventory.clients[0].sites[0].devices:
        checks = resolve_checks(device, inventory.defaults)
        if mqtt_dialect(device.tags):  # on the broker: no ports of its own
            assert checks and all(spec.type == "mqtt" for spec, _ in checks), device.id
            continue
        assert device.ports, device.id
        assert all(p > 1024 for p in device.ports.values()), device.id
        assert set(device.ports) <= set(SERVICE_OFFSETS), device.id
        assert checks, f"{device.id} would not be monitored at all"


def test_the_whole_file_passes_the_inventory_validator() -> None:
    validate = pytest.importorskip("sitekeeper.inventory.validate")
    valid = validate.parse_inventory(site_inventory_path().read_text(), "site.yaml")
    assert valid.device_count() == 30
