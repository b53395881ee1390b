"""`sitekeeper lab ...`: the simulated integrated site, and faults to inject into it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sitekeeper.cli.common import console, handle_errors, print_json, settings

app = typer.Typer(
    help=(
        "A simulated integrated site on loopback (router, switches, APs, NVR and cameras, "
        "projector, displays, codec, audio, lighting, shades, control, UPS, PDU, NAS, printer) "
        "with faults you can inject. `sitekeeper demo` runs it together with monitoring."
    ),
    no_args_is_help=True,
)

DeviceArg = Annotated[
    str, typer.Argument(help="Lab device id, e.g. core-switch (see `lab status`).")
]
LabOpt = Annotated[
    str | None,
    typer.Option(
        "--lab",
        help="Control address of the running lab (default 127.0.0.1:8479, or SITEKEEPER_LAB_CONTROL).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]

STATE_STYLE = {"up": "green", "degraded": "yellow", "down": "bold red"}


def _client(lab: str | None) -> Any:
    from sitekeeper.lab.client import LabClient

    where = lab or settings().lab_control
    return LabClient(where if where.startswith("http") else f"http://{where}")


def _print_device(d: dict[str, Any]) -> None:
    state = Text(d["state"].upper(), style=STATE_STYLE.get(d["state"], ""))
    line = Text.assemble(f"{d['id']}: ", state)
    if d.get("cause") and d["cause"] != d["id"]:
        line.append(f" (because {d['cause']} is {d['state']})", style="dim")
    if d["state"] == "degraded":
        line.append(f" +{d['latency_ms']:.0f} ms, {d['loss_pct']:.0f}% loss", style="dim")
    fault = d.get("fault") or {}
    if fault.get("mode") == "flapping":
        line.append(
            f" — flapping: down and up every {fault.get('period_s', 0):g} s until recovered",
            style="dim",
        )
    console.print(line)


def _status_table(status: dict[str, Any]) -> Table:
    table = Table(title=f"{status['site']} — lab ({status['mode']})", header_style="bold")
    for col in ("Device", "Kind", "State", "Fault", "Address", "Ports", "Depends on"):
        table.add_column(col)
    for d in status["devices"]:
        fault = d["fault"]["mode"] if d.get("fault") else ""
        if d["state"] == "down" and d.get("cause") and d["cause"] != d["id"]:
            fault = fault or f"via {d['cause']}"
        table.add_row(
            d["id"],
            d["kind"],
            Text(d["state"], style=STATE_STYLE.get(d["state"], "")),
            fault,
            d["address"],
            " ".join(f"{k}:{v}" for k, v in d["ports"].items())
            or (f"mqtt ({d['mqtt']})" if d.get("mqtt") else ""),
            ", ".join(d["depends_on"]),
        )
    return table


@app.command()
@handle_errors
def up(
    control_port: Annotated[int, typer.Option(help="Port of the control API on 127.0.0.1.")] = 8479,
    fallback: Annotated[
        bool | None,
        typer.Option(
            "--fallback/--no-fallback",
            help="Force (or forbid) the single-address layout: every device on 127.0.0.1 with its own ports. Default: detect.",
        ),
    ] = None,
    write_inventory: Annotated[
        Path | None,
        typer.Option("--write-inventory", help="Also write the lab's inventory YAML to this file."),
    ] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(
            "--mqtt",
            metavar="HOST:PORT",
            help="Also run the MQTT devices (Zigbee2MQTT bridge and sensor, Shelly relay, Tasmota plug), publishing to this broker on loopback, e.g. 127.0.0.1:1883 (or SITEKEEPER_LAB_MQTT).",
        ),
    ] = None,
) -> None:
    """Run the simulated site in the foreground until Ctrl-C.

    Then, in another terminal: `sitekeeper lab inventory > lab.yaml`,
    `sitekeeper inventory apply lab.yaml`, `sitekeeper up`. Or run `sitekeeper demo`,
    which does all of it in one process.
    """
    from sitekeeper.cli.up import install_stop_handlers
    from sitekeeper.lab.lab import Lab

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_handlers(stop)
        async with Lab(control_port=control_port, fallback=fallback, mqtt_broker=mqtt) as lab:
            if write_inventory:
                write_inventory.write_text(lab.inventory_text(), encoding="utf-8")
            console.print(_status_table(lab.status()))
            console.print(
                f"lab up: {len(lab.device_ids)} devices in {lab.startup_s * 1000 if lab.startup_s else 0:.0f} ms; "
                f"control API at {lab.control_url}. Ctrl-C to stop."
            )
            if lab.mqtt is not None:
                console.print(
                    f"MQTT devices publish to {lab.mqtt.where} under {lab.mqtt.place.prefix}/",
                    highlight=False,
                )
            console.print(
                "next: [bold]sitekeeper lab inventory > lab.yaml && sitekeeper inventory apply lab.yaml "
                "&& sitekeeper up[/]"
            )
            await stop.wait()

    asyncio.run(main())


@app.command()
@handle_errors
def status(lab: LabOpt = None, json: JsonOpt = False) -> None:
    """Show every lab device: its fault, and what the network shows of it."""
    data = _client(lab).status()
    if json:
        print_json(data)
    else:
        console.print(_status_table(data))


@app.command()
@handle_errors
def inventory(lab: LabOpt = None) -> None:
    """Print the inventory YAML of the running lab (apply it with `sitekeeper inventory apply`)."""
    typer.echo(_client(lab).inventory_text(), nl=False)


@app.command()
@handle_errors
def fail(device: DeviceArg, lab: LabOpt = None, json: JsonOpt = False) -> None:
    """Make DEVICE stop answering, and every device that depends on it."""
    result = _client(lab).fail(device)
    print_json(result) if json else _print_device(result)


@app.command()
@handle_errors
def recover(
    device: Annotated[str | None, typer.Argument(help="Lab device id; omit with --all.")] = None,
    all_devices: Annotated[bool, typer.Option("--all", help="Clear every fault.")] = False,
    lab: LabOpt = None,
    json: JsonOpt = False,
) -> None:
    """Clear DEVICE's fault (devices behind it come back unless they have their own)."""
    client = _client(lab)
    if all_devices:
        result = client.recover_all()
        if json:
            print_json(result)
        else:
            c = result["counts"]
            console.print(
                f"all faults cleared: {c['up']} up, {c['degraded']} degraded, {c['down']} down"
            )
        return
    if device is None:
        raise typer.BadParameter("give a device id, or --all")
    result = client.recover(device)
    print_json(result) if json else _print_device(result)


@app.command("power-cut")
@handle_errors
def power_cut(
    device: Annotated[
        str, typer.Argument(help="The power source: a UPS or PDU of the lab (e.g. ups).")
    ],
    lab: LabOpt = None,
    json: JsonOpt = False,
) -> None:
    """Cut the power at DEVICE (a UPS or PDU): it and everything it powers go dark.

    The same fault as `fail`, named for what it is; `lab recover DEVICE` brings power back."""
    client = _client(lab)
    status = client.device(device)
    if status.get("kind") not in ("ups", "pdu"):
        raise typer.BadParameter(
            f"{device} is a {status.get('kind')}, not a UPS or PDU; use `lab fail`"
        )
    result = client.fail(device)
    print_json(result) if json else _print_device(result)


OffOpt = Annotated[bool, typer.Option("--off", help="Clear the condition instead.")]


def _condition(
    device: str, name: str, port: int | None, off: bool, lab: str | None, json: bool
) -> None:
    result = _client(lab).condition(device, name, port=port, on=not off)
    if json:
        print_json(result)
        return
    _print_device(result)
    shown = ", ".join(result.get("conditions") or []) or "none"
    console.print(f"  conditions: {shown}", highlight=False)


@app.command("on-battery")
@handle_errors
def on_battery(
    device: DeviceArg, off: OffOpt = False, lab: LabOpt = None, json: JsonOpt = False
) -> None:
    """The UPS loses mains power and runs on battery (it still answers: only what it
    reports changes)."""
    _condition(device, "on-battery", None, off, lab, json)


@app.command("lamp-error")
@handle_errors
def lamp_error(
    device: DeviceArg, off: OffOpt = False, lab: LabOpt = None, json: JsonOpt = False
) -> None:
    """The projector's lamp fails: PJLink reports a lamp error, the lamp off."""
    _condition(device, "lamp-error", None, off, lab, json)


@app.command("stream-dead")
@handle_errors
def stream_dead(
    device: DeviceArg, off: OffOpt = False, lab: LabOpt = None, json: JsonOpt = False
) -> None:
    """The camera's RTSP port answers but its stream is gone (DESCRIBE fails)."""
    _condition(device, "stream-dead", None, off, lab, json)


@app.command("port-down")
@handle_errors
def port_down(
    device: DeviceArg,
    port: Annotated[int, typer.Argument(help="The switch port, 1-48.", min=1, max=48)],
    off: OffOpt = False,
    lab: LabOpt = None,
    json: JsonOpt = False,
) -> None:
    """A switch port goes down (seen through SNMP IF-MIB)."""
    _condition(device, "port-down", port, off, lab, json)


@app.command("battery-low")
@handle_errors
def battery_low(
    device: DeviceArg, off: OffOpt = False, lab: LabOpt = None, json: JsonOpt = False
) -> None:
    """The Zigbee sensor's battery is nearly flat: it reports 7 % over MQTT (the lab needs
    a broker: `lab up --mqtt 127.0.0.1:1883`)."""
    _condition(device, "battery-low", None, off, lab, json)


@app.command()
@handle_errors
def degrade(
    device: DeviceArg,
    latency_ms: Annotated[
        float,
        typer.Option("--latency-ms", help="Added delay before each reply.", min=0, max=60_000),
    ] = 500.0,
    loss_pct: Annotated[
        float,
        typer.Option("--loss-pct", help="Share of connections that get no reply.", min=0, max=100),
    ] = 0.0,
    lab: LabOpt = None,
    json: JsonOpt = False,
) -> None:
    """Make DEVICE slow and lossy ("online but uneven"), and what depends on it."""
    result = _client(lab).degrade(device, latency_ms, loss_pct)
    print_json(result) if json else _print_device(result)


@app.command()
@handle_errors
def flap(
    device: DeviceArg,
    period: Annotated[
        float, typer.Option(help="Seconds down, then seconds up, and again.", min=0.5, max=3600)
    ] = 10.0,
    lab: LabOpt = None,
    json: JsonOpt = False,
) -> None:
    """Make DEVICE go down and up every PERIOD seconds until recovered."""
    result = _client(lab).flap(device, period)
    print_json(result) if json else _print_device(result)
