"""Put the lab into a store: its inventory, and the credentials its devices' checks refer to.

The lab's SNMP agents answer the community `lab-public` (see `snmp_agent`); its inventory
says `credentials: lab-snmp` on those devices, as a real inventory would, and this stores
`lab-snmp` encrypted like any credential. Used by `sitekeeper demo` and the tests that
monitor the lab; `sitekeeper lab inventory` users run `sitekeeper credentials set lab-snmp`
themselves.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sitekeeper.credentials import set_credential
from sitekeeper.inventory.apply import ApplyReport, apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.lab.snmp_agent import LAB_COMMUNITY
from sitekeeper.secrets import SecretBox

# name -> (kind, values): what the lab inventory's `credentials:` names resolve to
LAB_CREDENTIALS: dict[str, tuple[str, dict[str, str]]] = {
    "lab-snmp": ("snmp", {"version": "2c", "community": LAB_COMMUNITY.decode()}),
}


def install_credentials(session: Session, box: SecretBox, now: float) -> None:
    for name, (kind, values) in LAB_CREDENTIALS.items():
        set_credential(session, box, name, kind, values, now)


def install(
    session: Session,
    inventory_text: str,
    box: SecretBox | None,
    now: float,
    actor: str = "lab",
) -> ApplyReport:
    """Apply the lab's inventory and store its credentials (when there is a secret key;
    without one the SNMP checks say they have no credentials). The caller commits."""
    report = apply_inventory(session, parse_inventory(inventory_text, "lab site"), now, actor=actor)
    if box is not None:
        install_credentials(session, box, now)
    return report


def install_advisor_demo(session: Session, now: float, actor: str = "lab") -> ApplyReport:
    """Add the advisor's two demo clients (`home`, `office`) with three years of tickets
    (lab.advisor_demo). Re-running updates them in place. The caller commits."""
    import zoneinfo
    from datetime import datetime

    from sqlalchemy import select

    from sitekeeper.advisor.history import import_tickets
    from sitekeeper.advisor.tickets_csv import parse_tickets
    from sitekeeper.db import models as m
    from sitekeeper.lab.advisor_demo import inventory_yaml, ticket_csv

    tz = zoneinfo.ZoneInfo("Europe/London")
    today = datetime.fromtimestamp(now, tz).date()
    report = apply_inventory(
        session, parse_inventory(inventory_yaml(today), "advisor demo clients"), now, actor=actor
    )
    for key in ("home", "office"):
        client_id = session.scalar(select(m.Client.id).where(m.Client.key == key))
        assert client_id is not None  # applied just above
        rows = parse_tickets(ticket_csv(key, today), f"{key} demo tickets", tz, now)
        devices = set(session.scalars(select(m.Device.key).where(m.Device.client_id == client_id)))
        import_tickets(session, client_id, rows, devices, now)
    return report
