"""Default class profiles (spec §1.5 for reliability, §2.1 for fees). Most are priors (A) that
the fleet's own data replaces; the source of each is in the spec's table."""

from __future__ import annotations

from sitekeeper.plan.inputs import ClassProfile

DEFAULT_PROFILES: dict[str, ClassProfile] = {
    # S SquareTrade fit β=1.36, η=8.9 y; soft rate A; fee S §1.2
    "workstation": ClassProfile(1.36, 8.9, 0.5, 1.5, 60.0, p_pred=0.1, planned_age_y=5.0),
    # HDD-like wear-out (S Backblaze), p_pred S Google SMART 0.45
    "server": ClassProfile(1.5, 22.0, 0.5, 3.0, 200.0, p_pred=0.45, planned_age_y=6.0),
    "nas": ClassProfile(1.5, 22.0, 0.3, 2.0, 25.0, p_pred=0.45, planned_age_y=6.0),
    "nvr": ClassProfile(1.5, 22.0, 0.3, 2.0, 25.0, p_pred=0.45, planned_age_y=6.0),
    # S datasheets / Gill et al.: hardware β=1.2, η=40 y plus soft 0.1/y
    "switch": ClassProfile(1.2, 40.0, 0.1, 1.0, 25.0, planned_age_y=8.0),
    # A: consumer routers β=1.3, η=15 y, soft 0.5/y
    "router": ClassProfile(1.3, 15.0, 0.5, 1.0, 25.0, planned_age_y=6.0),
    "ap": ClassProfile(1.2, 20.0, 0.2, 0.75, 10.0, planned_age_y=7.0),
    # UPS: the unit wears slowly; its battery fails silently (S APC), p_pred 0.95
    "ups": ClassProfile(1.2, 20.0, 0.05, 1.0, 25.0, p_pred=0.95, battery=True),
    # cameras, NVR, AV control, displays: no public field data (priors, low weight)
    "camera": ClassProfile(1.3, 15.0, 0.3, 1.0, 4.0, planned_age_y=7.0),
    "display": ClassProfile(1.2, 20.0, 0.2, 1.0, 15.0),
    "av_control": ClassProfile(1.4, 15.0, 0.5, 1.5, 15.0),
    "audio": ClassProfile(1.2, 20.0, 0.2, 1.0, 15.0),
    "lighting": ClassProfile(1.2, 25.0, 0.2, 1.0, 15.0),
    # lamp: β=3, η = rated 2,000 h ÷ 1,000 h of use a year; the hour counter predicts 0.9
    "projector": ClassProfile(3.0, 2.0, 0.2, 1.0, 15.0, p_pred=0.9),
}
