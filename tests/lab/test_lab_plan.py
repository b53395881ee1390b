"""Where devices listen, and the inventory that says so (pure)."""

from __future__ import annotations

import pytest
import yaml

from sitekeeper.errors import LabError
from sitekeeper.inventory.models import Inventory
from sitekeeper.lab.plan import MqttPlace, packaged_site_text, plan_site


def test_the_default_plan_keeps_addresses_and_leaves_out_the_mqtt_devices() -> None:
    plan = plan_site(packaged_site_text())
    assert plan.mode == "addresses"
    assert plan.device("router").address == "127.77.0.1"
    assert plan.order.index("core-switch") < plan.order.index("cam-1")
    assert len(plan.devices) == 26
    assert plan.inventory_text.startswith(
        "# The sitekeeper lab inventory, as served: no MQTT broker was given, so fridge-plug, "
        "fridge-sensor, sign-relay, zigbee-bridge are left out."
    )
    site = Inventory.model_validate(yaml.safe_load(plan.inventory_text)).clients[0].sites[0]
    assert len(site.devices) == 26
    assert "fridge" not in {s.id for s in site.services}  # it needs only MQTT devices


def test_a_site_with_nothing_to_change_is_served_as_written() -> None:
    text = packaged_site_text().split("          # --- on the MQTT broker")[0]
    plan = plan_site(text)
    assert plan.inventory_text == text  # comments and all


def test_with_a_broker_the_mqtt_checks_get_it_and_the_lab_prefix() -> None:
    place = MqttPlace("127.0.0.1", 11883, "sitekeeper-lab/0123abcd")
    plan = plan_site(packaged_site_text(), mqtt=place)
    assert len(plan.devices) == 30
    assert plan.device("sign-relay").mqtt_dialect == "shelly"
    assert plan.device("router").mqtt_dialect is None
    assert (
        "the MQTT devices publish to 127.0.0.1:11883 under sitekeeper-lab/0123abcd/"
        in (plan.inventory_text.splitlines()[0])
    )
    site = Inventory.model_validate(yaml.safe_load(plan.inventory_text)).clients[0].sites[0]
    sensor = next(d for d in site.devices if d.id == "fridge-sensor")
    topics = {c.check_name: c for c in sensor.checks}
    assert topics["availability"].topic == (  # type: ignore[union-attr]
        "sitekeeper-lab/0123abcd/zigbee2mqtt/fridge-sensor/availability"
    )
    assert {(c.broker, c.port) for c in sensor.checks} == {("127.0.0.1", 11883)}  # type: ignore[union-attr]
    assert "{mqtt_prefix}" not in plan.inventory_text


def test_moving_the_network_keeps_host_numbers_and_rewrites_the_file() -> None:
    plan = plan_site(packaged_site_text(), network="127.78.9.0/24")
    assert plan.device("nvr").address == "127.78.9.10"
    inventory = Inventory.model_validate(yaml.safe_load(plan.inventory_text))
    router = next(d for d in inventory.clients[0].sites[0].devices if d.id == "router")
    assert router.address == "127.78.9.1"
    dns_check = next(c for c in router.checks if getattr(c, "type", "") == "dns")
    assert dns_check.expect == ("127.78.9.10",)  # type: ignore[union-attr]
    assert plan.zone["nvr.lab.example."] == "127.78.9.10"
    assert plan.zone["lab.example."] == "127.78.9.1"


def test_fallback_puts_everyone_on_127_0_0_1_with_distinct_ports() -> None:
    plan = plan_site(packaged_site_text(), fallback=True, fallback_base_port=30000)
    assert plan.mode == "fallback"
    assert {d.address for d in plan.devices} == {"127.0.0.1"}
    ports = [p for d in plan.devices for p in d.ports.values()]
    assert len(ports) == len(set(ports))
    assert plan.device("router").ports == {"https": 30001, "dns": 30004}
    assert plan.device("ups").ports == {"http": 30010, "snmp": 30018}
    assert "127.77." not in plan.inventory_text
    Inventory.model_validate(yaml.safe_load(plan.inventory_text))


@pytest.mark.parametrize("network", ["10.0.0.0/24", "192.0.2.0/24", "127.77.0.0/25", "nonsense"])
def test_it_refuses_anything_but_loopback(network: str) -> None:
    with pytest.raises(LabError):
        plan_site(packaged_site_text(), network=network)


def test_it_names_a_port_it_cannot_serve() -> None:
    text = packaged_site_text().replace("ports: {pjlink: 4352}", "ports: {telnet: 2323}")
    with pytest.raises(LabError, match=r"'telnet'.*use one of: http"):
        plan_site(text)


def test_it_names_a_dependency_cycle() -> None:
    text = packaged_site_text().replace("depends_on: [router, ups]", "depends_on: [nvr]")
    with pytest.raises(LabError, match="cycle"):
        plan_site(text)
