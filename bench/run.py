"""Run the benchmarks and write docs/benchmarks.md.

    python bench/run.py               # every workload, 3 repeats each
    python bench/run.py --quick       # a short subset (about 2 minutes)
    python bench/run.py --only snmp   # only the workloads whose name or script says "snmp"

Each workload is a script in bench/ that prints one JSON object; it runs in its own process,
repeats are reported as median and min-max. With --only, the other workloads' sections are
kept from the current docs/benchmarks.md, each with the date it was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Workload:
    name: str
    script: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]  # (result key, label)
    about: str
    runs: int | None = None  # runs per `make bench` when not --repeats (a long workload: 1)


WORKLOADS = [
    Workload(
        name="Collector end to end at 1,000 checks/s",
        script="collector_lateness.py",
        args=("--rate", "1000", "--seconds", "30", "--profile-seconds", "10"),
        quick_args=("--rate", "1000", "--seconds", "10", "--warmup", "6", "--profile-seconds", "3"),
        keys=(
            ("runs_per_s", "check runs per second"),
            ("lateness_p50_ms", "start lateness p50 (ms)"),
            ("lateness_p99_ms", "start lateness p99 (ms) (goal ≤ 10)"),
            ("lateness_max_ms", "start lateness max (ms)"),
            ("missed", "missed runs"),
            ("overlaps_prevented", "overlaps prevented"),
            ("stored_per_s", "results stored per second"),
            ("cpu_ms_per_check", "CPU per check (ms) (goal ≤ 0.2: 5,000 checks/s on one core)"),
            ("cpu_utilisation", "CPU used (cores)"),
            ("cpu_us_scheduler", "CPU per check: scheduler (µs)"),
            ("cpu_us_probe", "CPU per check: probe (µs)"),
            ("cpu_us_state_engine", "CPU per check: state engine (µs)"),
            ("cpu_us_store", "CPU per check: store (µs)"),
            ("cpu_us_event_loop_and_sockets", "CPU per check: event loop and sockets (µs)"),
            ("cpu_us_other", "CPU per check: other (µs)"),
        ),
        about=(
            "10,000 TCP checks at a 10 s interval against 50 loopback listeners in another "
            "process; schedule → tcp probe → state engine → SQLite store, with the incidents "
            "worker and retention running, in one process on the loop `sitekeeper up` uses "
            "(uvloop where installed). Measured for 30 s after a 12 s warm-up (quick: 10 s "
            "after 6 s). Then py-spy "
            "samples every thread for 10 s (3 quick), idle time left out; each sample goes to "
            "the stage of its innermost frame that belongs to one (store: results, db, "
            "SQLAlchemy, sqlite3; state engine: state and incidents; probe: probes and "
            "protocols; scheduler: collector and runtime), or else to the event loop and "
            "sockets, and each stage's share of the samples is applied to the measured CPU "
            "per check. The goal is 5,000 checks/s on one core (0.2 ms of CPU per check) with "
            "p99 lateness ≤ 10 ms; this workload runs at 1,000/s, since on two cores the "
            "targets need CPU too, and the CPU per check says how far 5,000/s on one core is "
            "(see docs/architecture.md)."
        ),
    ),
    Workload(
        name="TCP and HTTP checks: sitekeeper's probes, blackbox_exporter and forked plugins",
        script="probes_tcp_http.py",
        args=("--rounds", "5", "--seconds", "2.5", "--warmup", "0.5"),
        quick_args=("--rounds", "2", "--seconds", "1.5", "--warmup", "0.5"),
        runs=1,  # its rounds are the repeats
        keys=(
            ("tcp_ours_per_cpu_s", "ours: TCP checks per CPU-second"),
            ("tcp_exporter_per_cpu_s", "blackbox_exporter: TCP checks per CPU-second"),
            (
                "tcp_exporter_ratio",
                "TCP checks per CPU-second, ours / blackbox_exporter (goal ≥ 5)",
            ),
            ("tcp_exporter_ratio_min", "the same, lowest round"),
            ("tcp_plugins_per_cpu_s", "check_tcp forked per check: checks per CPU-second"),
            ("tcp_plugins_ratio", "TCP checks per CPU-second, ours / check_tcp"),
            ("tcp_ours_cpu_us", "ours: CPU per TCP check (µs)"),
            ("tcp_ours_sys_pct", "ours: kernel share of that CPU (%)"),
            ("tcp_exporter_cpu_us", "blackbox_exporter: CPU per tcp_connect probe (µs)"),
            ("tcp_plugins_cpu_us", "check_tcp: CPU per check, fork and exec included (µs)"),
            (
                "tcp_plugins_launcher_cpu_us",
                "check_tcp: the launcher's CPU per check, not counted (µs)",
            ),
            ("tcp_ours_per_s", "ours: TCP checks per second, 100 in flight"),
            ("tcp_exporter_per_s", "blackbox_exporter: TCP probes per second, 100 in flight"),
            ("tcp_plugins_per_s", "check_tcp: checks per second, 100 in flight"),
            ("tcp_ours_target_cpu_pct", "targets' CPU while ours ran (% of a core)"),
            ("http_ours_per_cpu_s", "ours: HTTP checks per CPU-second"),
            ("http_exporter_per_cpu_s", "blackbox_exporter: HTTP checks per CPU-second"),
            (
                "http_exporter_ratio",
                "HTTP checks per CPU-second, ours / blackbox_exporter (goal ≥ 2)",
            ),
            ("http_exporter_ratio_min", "the same, lowest round"),
            ("http_plugins_per_cpu_s", "check_http forked per check: checks per CPU-second"),
            ("http_plugins_ratio", "HTTP checks per CPU-second, ours / check_http"),
            ("http_ours_cpu_us", "ours: CPU per HTTP check (µs)"),
            ("http_ours_sys_pct", "ours: kernel share of that CPU (%)"),
            ("http_exporter_cpu_us", "blackbox_exporter: CPU per http_2xx probe (µs)"),
            ("http_plugins_cpu_us", "check_http: CPU per check, fork and exec included (µs)"),
            (
                "http_plugins_launcher_cpu_us",
                "check_http: the launcher's CPU per check, not counted (µs)",
            ),
            ("http_ours_per_s", "ours: HTTP checks per second, 100 in flight"),
            ("http_exporter_per_s", "blackbox_exporter: HTTP probes per second, 100 in flight"),
            ("http_plugins_per_s", "check_http: checks per second, 100 in flight"),
            ("http_ours_target_cpu_pct", "targets' CPU while ours ran (% of a core)"),
            ("errors", "failed checks, all sides"),
        ),
        about=(
            "Targets: 64 loopback addresses (127.1.0.1–64), each with a TCP listener that "
            "accepts and closes and an HTTP server that answers 200 with a 3-byte body and "
            "closes, all in one process of their own (on uvloop) that every side shares; its "
            "CPU is counted for no one (shown per check, to show it is not the bottleneck). "
            "Every side keeps 100 checks in flight over the targets with a 5 s timeout, and "
            "every connection is fresh (the servers close after each check). Ours: "
            "`run_check()` as the collector calls it (the probe table, the deadline, "
            "`probes.tcp` / `probes.http` with one shared HttpSessions), in a child process "
            "that does nothing else, on the loop the product runs on (`sitekeeper.eventloop`: "
            "uvloop where installed); CPU from getrusage() there. It excludes scheduling, the "
            "state engine and the store (see the collector workload). blackbox_exporter "
            "(Debian's), modules tcp_connect and http_2xx (ip4, same timeout), driven "
            "at `/probe?module=…&target=…` over keep-alive connections by another process that "
            "is not counted; the exporter's CPU from /proc/PID/stat over all its threads. So "
            "its cost includes serving HTTP and rendering the metrics, which is what a probe "
            "of it costs. Its CPU per probe was about the same at 30, 100 and 300 in flight. "
            "The Nagios model: `check_tcp -H A -p P` and `check_http -I A -p P -u / -e 200` "
            "(monitoring-plugins) started per check by a Python child with "
            "asyncio.create_subprocess_exec. The plugins' CPU (exec, dynamic loading, the "
            "check, exit) comes from getrusage(RUSAGE_CHILDREN) deltas; the launcher's own CPU "
            "(a Python process here, not Nagios' C core) is shown apart and left out of the "
            "ratio. Each answer is checked: our Observation ok (and status 200), the "
            "exporter's probe_success 1 (and probe_http_status_code 200), the plugin's exit 0 "
            "with TCP OK / HTTP OK; anything else is an error. Rounds (5 full, 2 quick) run "
            "the three sides back to back, order rotated each round, each warmed up 0.5 s "
            "then measured (2.5 s full, 1.5 s quick). Figures are medians over rounds; "
            "ratios are the median of per-round ratios.\n\n"
            "How ours gets there: a TCP check that sends and expects nothing is a bare "
            "non-blocking connect and close (no stream objects; the sockets waiting to "
            "connect in one epoll set of the loop's own, the deadlines of all probes and "
            "run_check's overrun guard on one shared timer), and a plain GET/HEAD over http:// to an address goes "
            "through a small strict HTTP/1.1 client on an asyncio Protocol (aiohttp for the "
            "rest). `python bench/probes_tcp_http.py --layers` measures our CPU one layer at "
            "a time (and `--loop asyncio` without uvloop): without uvloop, TCP run_check costs "
            "about twice as much. Of what is left on TCP, the kernel's connect and close is "
            "the larger part (its share is in the table): 30–55 µs per check, depending on "
            "the host's kernel, which is the same for any client that closes politely."
        ),
    ),
    Workload(
        name="SNMP polling: sitekeeper's engine and Prometheus' snmp_exporter",
        script="snmp.py",
        args=("--rounds", "5", "--seconds", "5", "--warmup", "1", "--loss-requests", "20000"),
        runs=1,  # its rounds are the repeats
        quick_args=(
            "--rounds",
            "3",
            "--seconds",
            "1.5",
            "--warmup",
            "0.5",
            "--loss-requests",
            "5000",
        ),
        keys=(
            ("get_ours_per_cpu_s", "ours: 10-OID GETs per CPU-second"),
            ("get_exporter_per_cpu_s", "snmp_exporter: 10-OID GETs per CPU-second"),
            ("get_cpu_ratio", "GETs per CPU-second, ours / snmp_exporter (goal ≥ 5)"),
            ("get_cpu_ratio_min", "the same, lowest round"),
            ("get_ours_cpu_us", "ours: CPU per GET (µs)"),
            ("get_ours_sys_pct", "ours: kernel share of that CPU (%)"),
            ("get_exporter_cpu_us", "snmp_exporter: CPU per GET scrape (µs)"),
            ("get_exporter_sys_pct", "snmp_exporter: kernel share of that CPU (%)"),
            ("get_ours_per_s", "ours: GETs per second, 100 in flight"),
            ("get_exporter_per_s", "snmp_exporter: GET scrapes per second, 100 in flight"),
            ("get_ours_p50_ms", "ours: GET latency p50 (ms)"),
            ("get_exporter_p50_ms", "snmp_exporter: GET scrape latency p50 (ms)"),
            ("get_ours_agent_cpu_us", "snmpd CPU per GET, ours (µs)"),
            ("get_exporter_agent_cpu_us", "snmpd CPU per GET, snmp_exporter (µs)"),
            ("walk_rows", "varbinds per walk (ifTable + ifXTable)"),
            ("walk_ours_per_cpu_s", "ours: walks per CPU-second"),
            ("walk_exporter_per_cpu_s", "snmp_exporter: walks per CPU-second"),
            ("walk_cpu_ratio", "walks per CPU-second, ours / snmp_exporter (goal ≥ 2)"),
            ("walk_cpu_ratio_min", "the same, lowest round"),
            ("walk_ours_cpu_us", "ours: CPU per walk (µs)"),
            ("walk_exporter_cpu_us", "snmp_exporter: CPU per walk scrape (µs)"),
            ("walk_ours_per_s", "ours: walks per second, 100 in flight"),
            ("walk_exporter_per_s", "snmp_exporter: walk scrapes per second, 100 in flight"),
            ("loss_requests", "ours: GETs sent with 1,000 in flight, no retries"),
            ("loss_lost", "ours: answers lost of those (goal ≤ 0)"),
            ("errors", "failed GETs and walks, both sides"),
        ),
        about=(
            "Both pollers against the same two Debian snmpd agents on loopback (their own "
            "config and ports). snmpd is single-threaded and sets the pace, so the headline "
            "is the poller's CPU per operation: ours from getrusage() in a child process "
            "that only polls (`SnmpClient(max_per_agent=100)`), snmp_exporter's (Debian's "
            "0.21) from /proc/PID/stat over all its threads; the HTTP client driving the "
            "exporter runs in another process and is not counted. Each workload runs in "
            "rounds (5 full, 3 quick): ours, then the exporter, each warmed up and then "
            "keeping 100 requests in flight over both agents for the measured time (5 s "
            "full, 1.5 s quick). Figures are medians over the rounds; the ratio is the "
            "median of the rounds' ratios, so a change of load on this shared machine "
            "between rounds hits both sides alike.\n\n"
            "- GET: one SNMPv2c GET of 10 objects (sysDescr, sysObjectID, sysUpTime, "
            "sysContact, sysName, sysLocation, ifNumber, ifOperStatus.1, ifInOctets.1, "
            "hrSystemUptime). For the exporter, one scrape of a hand-written module (`get:` "
            "those 10 OIDs, one metric each) is one such GET; its cost includes rendering "
            "the Prometheus text and serving HTTP, which is what a scrape of it costs. Ours "
            "ends with decoded Python values.\n"
            "- Walk: ifTable then ifXTable with GETBULK, max-repetitions 25 on both sides: "
            "160 varbinds in 7 requests, the same on both (snmpd here sees 4 interfaces). "
            "The exporter's module walks the two tables with a metric per column.\n"
            "- Every answer is checked (10 values; every row) and any other counts as a "
            "failure.\n"
            "- Loss: ours alone with 1,000 GETs in flight, no retries and a 5 s timeout, so "
            "every lost answer shows as a timeout.\n\n"
            "The kernel's share is mostly the UDP send: on loopback it delivers the "
            "datagram and wakes snmpd inside the sender's system call. Both sides send one "
            "10-varbind GET per operation (the exporter's snmp_scrape_packets_sent says 1); "
            "snmpd's CPU per GET is shown for both and is lower at ours' higher request "
            "rate. Outside the bench, on this machine: decoding a 10-varbind response takes our codec "
            "about 14 µs and encoding the request about 2 µs, with the caches warm as in any "
            "repeated poll (decoded OIDs, and varbinds whose type does not usually change, "
            "such as strings and statuses; counters are always decoded). The rest of our CPU "
            "per GET is the event loop and system calls: one wakeup reads every waiting "
            "answer, and timeouts are swept by one timer rather than armed per request."
        ),
    ),
    Workload(
        name="ICMP echo: sitekeeper's pinger and fping",
        script="icmp.py",
        args=("--rounds", "7", "--targets", "2000", "--count", "20", "--paced-count", "10"),
        quick_args=("--rounds", "3", "--targets", "1000", "--count", "10", "--paced-count", "5"),
        keys=(
            ("burst_ours_per_s", "ours: echoes per second, CPU-bound"),
            ("burst_fping_per_s", "fping: echoes per second, CPU-bound"),
            ("rate_ratio", "echo rate, ours / fping (goal ≥ 0.5)"),
            ("burst_ours_cpu_us", "ours: CPU per echo, CPU-bound (µs)"),
            ("burst_fping_cpu_us", "fping: CPU per echo, CPU-bound (µs)"),
            ("cpu_per_echo_ratio", "CPU per echo, ours / fping (goal ≤ 2)"),
            ("paced_ours_cpu_us", "ours: CPU per echo at 10,000 echoes/s (µs)"),
            ("paced_fping_cpu_us", "fping: CPU per echo at 10,000 echoes/s (µs)"),
            ("paced_cpu_per_echo_ratio", "CPU per echo at 10,000 echoes/s, ours / fping"),
            ("burst_ours_lost", "ours: echoes lost"),
            ("burst_fping_lost", "fping: echoes lost"),
        ),
        about=(
            "2,000 addresses in 127.20.0.0/14, answered by the kernel itself; 56 data bytes "
            "per echo, 1 s wait for each reply, on both sides. Burst: 20 echoes per target "
            "1 ms apart, more than either side can keep up with, so the rate is each "
            "pinger's CPU-bound maximum (fping -c 20 -p 1 -i 0; ours: all 2,000 pings "
            "started at once on one shared socket). Paced: 10 echoes per target 200 ms apart "
            "(10,000 echoes/s), which both keep up with. Ours runs in a child process doing "
            "only the pinging, with a fresh pinger per sweep (opening its socket is counted), "
            "CPU from getrusage(); fping's CPU is getrusage(RUSAGE_CHILDREN) around its run, "
            "process start included. User and system time both count: on loopback the kernel "
            "makes each reply inside the sender's system call, for both sides alike. Both use "
            "raw sockets when run as root. Rounds alternate ours and fping; ratios are the "
            "median of per-round ratios. Ours runs on the collector's loop (uvloop where "
            "installed). Not included: the probe layer (Observation building) and the "
            "collector's scheduling.\n\n"
            "The ratios depend on the host more than the others here. fping spends its CPU "
            "in system calls and ours mostly in Python, so costlier system calls narrow the "
            "gap and cheaper ones widen it: on one earlier host ours took 14.3 µs per echo "
            "and fping 10.2 (0.72× the rate for 1.40× the CPU), on another fping took about "
            "6 µs and both goals were just missed. Per echo ours is one sendto, one "
            "recvfrom, a dict lookup, a heap entry for the next echo due and a queue entry "
            "for its deadline; what is left is the interpreter's share of that work. "
            "`python bench/icmp.py` with fewer `--targets` shows the same ratio."
        ),
    ),
    Workload(
        name="Advisor model: simulate() on a 500-device estate",
        script="advisor.py",
        args=("--trials", "10000", "--repeats", "3"),
        quick_args=("--trials", "2000", "--repeats", "3"),
        keys=(
            ("trials", "trial-years per simulation"),
            ("devices", "devices"),
            ("edges", "dependency edges"),
            ("wall_s", "wall time per simulation, median of 3 (s) (goal ≤ 3)"),
            ("wall_min_s", "the same, fastest of 3 (s)"),
            ("wall_max_s", "the same, slowest of 3 (s)"),
            ("goal_ratio", "median wall time / goal (goal ≤ 1: 3 s per 10,000 trials)"),
            ("cpu_s", "CPU per simulation, median of 3 (s)"),
            ("trial_devices_m_per_s", "trial-years × devices per second (millions)"),
            ("peak_rss_mib", "peak RSS of the process (MiB)"),
        ),
        about=(
            "One `simulate(estate, client, params, trials, seed)` call per repeat, the "
            "default model parameters (wear-out and lifecycle replacement, soft incidents, "
            "power cuts and UPS batteries, security all on), in a process of its own after "
            "one unmeasured 200-trial warm-up. The estate is the tests' office scaled to one "
            "500-device campus: dual routers into a core switch, six UPSes, four servers, "
            "two NAS, two NVRs, 16 access switches, 24 access points, 80 cameras, ten "
            "meeting rooms (AV controller with display, audio, lighting, four with a "
            "projector) and 319 seats, each seat behind its access switch and one server; "
            "ages are drawn between 0.5 and 7 years from a fixed seed, so about a third of "
            "the devices reach their class's planned replacement age within the year. "
            "Each run of the script times "
            "three simulations (seeds differ) by wall clock and getrusage() CPU; the table "
            "shows the runs' median and spread of those figures. Peak RSS is the process's "
            "ru_maxrss, imports included. `python bench/advisor.py --profile` runs one "
            "simulation under cProfile and prints the top functions, which is how the split "
            "between the model's stages is read."
        ),
    ),
    Workload(
        name="Root cause: 1,000 failures in a 100,000-device graph",
        script="rootcause.py",
        args=("--devices", "100000", "--failures", "1000", "--rounds", "7"),
        quick_args=("--devices", "100000", "--failures", "1000", "--rounds", "3"),
        keys=(
            ("correlate_ms", "failures → incidents with root causes, median (ms) (goal ≤ 100)"),
            ("correlate_p95_ms", "the same, p95 (ms)"),
            ("fail_tick_ms", "correlator tick with the 1,000 failures (ms)"),
            ("open_tick_ms", "tick opening the incidents after the hold-down (ms)"),
            ("idle_tick_ms", "idle tick, no signals (ms; the worker ticks every second)"),
            ("root_causes", "root causes injected"),
            ("incidents", "incidents opened (must equal the root causes)"),
            ("unreachable", "devices unreachable behind them, not paged"),
            ("devices", "devices"),
            ("edges", "dependency edges"),
            ("services", "services"),
            ("build_topology_ms", "building the Topology (ms; once per inventory change)"),
            ("first_tick_ms", "first tick, every device reports in (ms)"),
        ),
        about=(
            "A generated MSP estate: 1,000 sites of 100 devices (router, two core switches, "
            "four access switches of which two are dual-homed with depends_mode any, endpoints "
            "and AV devices behind a room controller), 200 clients, three services per site. "
            "Each round fails 1,000 devices, drawn from a fixed seed: about 70% as whole "
            "subtrees (a site, a core or an access switch, with every device it cuts off) and "
            "the rest as scattered endpoints. The pure correlator (incidents.correlate.step) "
            "is driven as the incidents worker drives it: the Topology is built once and kept "
            "(the worker rebuilds it only when the inventory changes), the state, with its "
            "indexes, holds every device as UP after the first tick, the failures arrive "
            "in one tick and the incidents open at the tick after the 10 s hold-down. The "
            "figure is the wall time of those two ticks, single-threaded; building the graph, "
            "the first tick and an idle tick are shown apart. Database I/O, signals and the "
            "notification pipeline are not included. Every round is checked: one incident per "
            "injected root cause, with exactly the cut-off failures as members. Median and p95 "
            "over 7 rounds (3 quick) after a warm-up round. A tick costs what changed: the "
            "correlator keeps the failed, suspect, candidate and cut-off sets between ticks, "
            "looks only at the devices that got a signal and those behind a device that failed "
            "or came back, and indexes services by device (docs/architecture.md). The first "
            "tick, which sees every device, builds those indexes."
        ),
    ),
    Workload(
        name="Storage on SQLite: batched ingest and a year's database size",
        script="storage.py",
        args=("--ingest-rows", "100000", "--hours", "12"),
        quick_args=("--ingest-rows", "20000", "--hours", "4"),
        keys=(
            ("ingest_rows_per_s", "ingest, rows per second (goal ≥ 50,000)"),
            ("ingest_rows_per_cpu_s", "ingest, rows per CPU-second"),
            ("ingest_cpu_us_per_row", "ingest, CPU per row (µs)"),
            ("bytes_per_result", "bytes per raw result, packed (each complete hour)"),
            ("bytes_per_plain_result", "bytes per raw result in the open hour (a plain row)"),
            ("plain_result_values_json_bytes", "of which the values JSON (bytes)"),
            ("bytes_per_rollup", "bytes per hourly rollup row"),
            ("bytes_per_flip", "bytes per flip"),
            ("year_mb", "1,000 checks at 60 s for a year, default retention (MB) (goal ≤ 1,000)"),
            ("year_raw_mb", "of which 14 days of packed raw results (MB)"),
            ("year_open_hours_mb", "of which the open hours' plain results (MB)"),
            ("year_rollup_mb", "of which 365 days of hourly rollups (MB)"),
            ("year_flips_mb", "of which a year of flips (MB)"),
            ("retention_raw_deleted", "retention check: raw results deleted (expected 360,000)"),
            ("rollup_s", "the retention pass packing and rolling up 12 hours (s)"),
        ),
        about=(
            "1,000 devices with one check each at 60 s (half ICMP, 30% TCP, 20% HTTP); each "
            "observation carries what that probe reports (latency; ICMP loss, packets and rtt "
            "avg/min/max/jitter, TCP connect time, HTTP status and body size); 0.5% fail and a "
            "few checks flap. Ingest: Ingestor.ingest(), the results sink's path (classify, "
            "state engine, results, check and device states, flips, one transaction per "
            "batch), on a SQLite file with the store's settings (WAL, synchronous=NORMAL), in "
            "batches of 2,000 (the sink's largest) after two warm-up batches; rows per second "
            "over the wall time of the ingest calls, CPU from getrusage over the same calls "
            "(making the observations is not counted). Size: 12 hours of raw results (720,000 "
            "rows), the plain rows the ingest writes, inserted with sqlite3 directly to save "
            "time; then the retention pass (retention.maintain) packs each complete hour of "
            "each check into one row of results_packed and rolls it up. Bytes per result and "
            "per rollup come from the tables' pages (SQLite's dbstat) after VACUUM, checked "
            "against the file's growth. A year is computed, not written: 14 days of packed "
            "raw results + up to two hours of plain ones + 365 days of hourly rollups (kept "
            "400) + a year of flips at one per check per day (flips are not pruned) + "
            "inventory and states. Retention is checked to delete exactly the raw results "
            "before the middle hour at 14 days and the rollups older than 400 days. Single "
            "process; PostgreSQL is not measured here.\n\n"
            "Where the ingest goal stands: the state engine (classify, the baseline, "
            "evaluate, flapping), the per-row loop, SQLite's inserts and SQLAlchemy's upserts "
            "of changed states share the CPU per row about equally (`python bench/storage.py "
            "--profile`). Values JSON is encoded once per result by orjson and reused for the "
            "state row; a steady result updates its check's state with a small UPDATE."
        ),
    ),
    Workload(
        name="Dashboard under load: 500 clients, 25,000 devices, 30 days of history",
        script="dashboard.py",
        args=(),
        quick_args=(
            "--clients",
            "20",
            "--rounds",
            "2",
            "--overview-requests",
            "6",
            "--device-visits",
            "20",
            "--phase-cap",
            "5",
        ),
        runs=1,
        keys=(
            ("devices", "devices"),
            ("checks", "checks"),
            ("rollup_rows", "hourly rollup rows (30 days of every check)"),
            ("sqlite_generate_s", "SQLite: generating the store (s)"),
            ("pg_generate_s", "PostgreSQL: generating the store (s)"),
            ("sqlite_overview_p50_ms", "SQLite: overview p50 (ms)"),
            ("sqlite_overview_p95_ms", "SQLite: overview p95 (ms) (goal ≤ 300)"),
            ("sqlite_live_overview_p95_ms", "SQLite: the overview's live region p95 (ms)"),
            ("sqlite_overview_requests_per_s", "SQLite: overviews per second"),
            ("sqlite_overview_server_cpu_ms_per_request", "SQLite: server CPU per overview (ms)"),
            ("sqlite_device_p95_ms", "SQLite: device page p95 (ms) (goal ≤ 300)"),
            ("sqlite_chart_p95_ms", "SQLite: 30-day chart data p95 (ms) (goal ≤ 300)"),
            (
                "sqlite_visit_p95_ms",
                "SQLite: device page with its 30-day charts p95 (ms) (goal ≤ 300)",
            ),
            ("sqlite_device_requests_per_s", "SQLite: device-page requests per second"),
            ("pg_overview_p50_ms", "PostgreSQL: overview p50 (ms)"),
            ("pg_overview_p95_ms", "PostgreSQL: overview p95 (ms) (goal ≤ 300)"),
            ("pg_live_overview_p95_ms", "PostgreSQL: the overview's live region p95 (ms)"),
            ("pg_overview_requests_per_s", "PostgreSQL: overviews per second"),
            ("pg_overview_server_cpu_ms_per_request", "PostgreSQL: server CPU per overview (ms)"),
            ("pg_device_p95_ms", "PostgreSQL: device page p95 (ms) (goal ≤ 300)"),
            ("pg_chart_p95_ms", "PostgreSQL: 30-day chart data p95 (ms) (goal ≤ 300)"),
            (
                "pg_visit_p95_ms",
                "PostgreSQL: device page with its 30-day charts p95 (ms) (goal ≤ 300)",
            ),
            ("pg_device_requests_per_s", "PostgreSQL: device-page requests per second"),
            ("sqlite_overview_errors", "SQLite: failed overviews"),
            ("sqlite_device_errors", "SQLite: failed device-page requests"),
            ("pg_overview_errors", "PostgreSQL: failed overviews"),
            ("pg_device_errors", "PostgreSQL: failed device-page requests"),
        ),
        about=(
            "A generated MSP in a new store for each database: SQLite in a temporary "
            "directory, and a PostgreSQL database of the bench's own on 127.0.0.1:5432, "
            "dropped at the end. Full mode has 500 clients with 2 sites and 50 devices each "
            "(25,000 devices), 2 checks per device at 60 s (50,000 checks), hourly rollups of "
            "every check over 30 days (36 M rows) and raw results for the last hour (3 M "
            "rows). One site in 40 has its switch DOWN with the rest of the site UNREACHABLE; "
            "one device in 499 is DOWN and one in 97 DEGRADED, giving 60 open incidents; "
            "there are 20 resolved incidents per client and 4 flips per device. Quick mode "
            "has 20 clients (1,000 devices) with the same history per check, in 2 rounds. "
            "The product's migrations make the schema and bench/dashboard_store.py writes the rows in bulk "
            "(timed; most of this workload's time; PostgreSQL's tables are then vacuumed and "
            "analyzed, as autovacuum would have done in a running system). Each store is "
            "generated once and measured in 3 rounds; the server starts, and each round "
            "begins, once every check's last result is brought up to the moment, as a "
            "running collector keeps them. Figures are medians over the rounds, with the "
            "lowest and highest round.\n\n"
            "The real server (`create_app` served by `sitekeeper.api.server.serve`, as "
            "`sitekeeper up` serves it, without the collector, so there is no write load, "
            "but with what its runtime does beside the web: the overview summary's sweep "
            "every 15 s and the heap frozen every 30 s, its first sweep done and its heap "
            "settled before it takes requests) "
            "runs in a child process on a free loopback port. An admin with a generated "
            "password is created in the store and signs in through the login form. Four "
            "users each send one request at a time. Overview phase: GET /, then one poll of "
            "its live region (GET /live/overview, reported apart). Device phase: GET "
            "/devices/{id} for a random device, then the 30-day history of each of its checks "
            "at once (GET /api/v1/checks/{id}/history?range=30d, what charts.js fetches for "
            "'30d'). Each round sends 10 overviews and 40 device visits in full mode after one "
            "warm-up, and a phase stops early at a 15 s cap. Latency is measured by the "
            "client, from sending to the last byte; the visit is the page HTML plus its "
            "charts. A response that is not 200, or lacks the page's client list or the "
            "chart's 181 points with their rolled-up results, counts as an error. Server CPU "
            "comes from /proc over the phase (PostgreSQL's own processes are not counted). "
            "Not included: static files, the browser's rendering, heartbeats and syslog "
            "events (none generated).\n\n"
            "The overview sums the device summary's counts (results/summary.py: each "
            "device's shown status and problem flag, kept by the correlation tick and a sweep "
            "every 15 s, and counted per client, system and status as it is written) per "
            "client and per system, picks the first 200 problems through a partial index "
            "of the summary's problem devices, reads those 200 with only their failing "
            "checks (results/problems.py: two statements, staleness in SQL), and reads the "
            "open incidents without their cut-off devices' names (the tables count them). "
            "On SQLite the server builds one page at a time (web/render.py: threads building "
            "side by side cost about half as much CPU again); on PostgreSQL pages are built "
            "side by side. What is left per request on SQLite (py-spy over the load, idle "
            "time left out): the counts and the first problems about 24% (three quarters of "
            "it SQLite's own work), the 200 listed problems about 19%, rendering the page "
            "(about 360 KB) about 20%, the incidents about 10%, the client list about 6%; "
            "with four users and one page built at a time, the p95 is about four to five "
            "times the CPU of one."
        ),
    ),
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()} ({platform.machine()}), {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}"
    )


Result = dict[str, Any]  # a script's JSON: figures, and KEY_rounds lists of them


def run_once(w: Workload, quick: bool) -> Result:
    args = w.quick_args if quick else w.args
    out = subprocess.run(
        [sys.executable, str(HERE / w.script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt(values: list[float]) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:g}"
    return f"{med:g} ({min(values):g}–{max(values):g})"


def kept_sections(text: str) -> dict[str, str]:
    """The sections of an existing benchmarks page by title, each carrying the date and mode
    it was measured (older pages gave those once, at the top)."""
    date = re.search(r"^- Date: (.+)$", text, re.M)
    mode = re.search(r"^- Mode: (.+)$", text, re.M)
    fallback = f"Measured {date.group(1)}, {mode.group(1)} mode." if date and mode else ""
    sections = {}
    for part in re.split(r"^(?=## )", text, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        if title.startswith("## Goals at a glance"):
            continue
        body = body.strip("\n")
        if fallback and not body.startswith("Measured "):
            body = f"{fallback}\n\n{body}"
        sections[title[3:].strip()] = f"{title}\n\n{body}\n"
    return sections


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def section(w: Workload, results: list[Result], quick: bool, now: str, took: float) -> str:
    # A script that repeats inside itself (one store, several rounds) gives each figure's
    # per-round values as KEY_rounds: those are the repeats then.
    rounds = any(f"{key}_rounds" in r for r in results for key, _ in w.keys)

    def values(key: str) -> list[float]:
        return [float(v) for r in results for v in r.get(f"{key}_rounds", [r[key]])]

    repeats = max(len(values(key)) for key, _ in w.keys)
    unit = "round" if rounds else "run"
    rows = "\n".join(f"| {label} | {fmt(values(key))} |" for key, label in w.keys)
    return (
        f"## {w.name}\n\nMeasured {now}, {'quick' if quick else 'full'} mode, "
        f"in {duration(took)}.\n\n"
        f"{w.about}\n\n| figure | median (min–max over {repeats} "
        f"{unit}{'s' if repeats > 1 else ''}) |\n|---|---|\n{rows}\n"
    )


GOAL = re.compile(
    r"^\| (?P<label>.*?) \(goal (?P<op>[≥≤]) (?P<goal>[\d,.]+)(?::[^)]*)?\) "
    r"\| (?P<median>[-\d.e+]+)"
)


def goals(sections: list[str]) -> str:
    """Every figure with a goal in its label, the median against the goal, met or not."""
    rows = []
    for part in sections:
        title = part.partition("\n")[0][3:].strip()
        for line in part.splitlines():
            m = GOAL.match(line)
            if not m:
                continue
            goal, median = float(m["goal"].replace(",", "")), float(m["median"])
            met = median >= goal if m["op"] == "≥" else median <= goal
            rows.append(
                f"| {title} | {m['label']} | {m['median']} | {m['op']} {m['goal']} | "
                f"{'met' if met else '**missed**'} |"
            )
    if not rows:
        return ""
    return (
        "## Goals at a glance\n\n| workload | figure | median | goal | |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


def page(sections: list[str], whole_run: str) -> str:
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (`make bench-quick` for a short run); do not edit by hand.\n\n"
        f"- Machine: {machine()}\n"
        f"{whole_run}\n"
        "Absolute figures on a shared machine drift; compare within one section.\n\n"
        + goals(sections)
        + "\n"
        + "\n".join(sections)
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="one short repeat of each workload")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="run only workloads whose name or script contains WORD (repeatable)",
    )
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    words = [w.lower() for w in args.only or []]
    chosen = [
        w for w in WORKLOADS if not words or any(x in f"{w.name} {w.script}".lower() for x in words)
    ]
    if not chosen:
        ap.error(f"--only {' '.join(words)} matches no workload")
    kept = kept_sections(DOC.read_text(encoding="utf-8")) if DOC.exists() and words else {}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    started = time.monotonic()
    for w in WORKLOADS:
        if w not in chosen:
            if w.name in kept:
                sections.append(kept[w.name])
            continue
        results = []
        times = repeats if args.quick or w.runs is None else min(repeats, w.runs)
        t0 = time.monotonic()
        for i in range(times):
            print(f"{w.name}: run {i + 1}/{times} ...", file=sys.stderr, flush=True)
            results.append(run_once(w, args.quick))
        took = time.monotonic() - t0
        print(f"{w.name}: {duration(took)}", file=sys.stderr, flush=True)
        sections.append(section(w, results, args.quick, now, took))
    took = time.monotonic() - started
    if words and DOC.exists():  # the page keeps the last whole run's line
        old = re.search(r"^- A whole run .*$", DOC.read_text(encoding="utf-8"), re.M)
        whole_run = old.group(0) + "\n" if old else ""
    elif words:
        whole_run = ""
    else:
        mode = "`make bench-quick`" if args.quick else "`make bench`"
        whole_run = f"- A whole run ({mode}, {now}) took {duration(took)}.\n"
    DOC.write_text(page(sections, whole_run), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
