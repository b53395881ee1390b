"""Status words and symbols shared by the terminal and the dashboard: a status is always
shown as a word with a symbol, never by colour alone."""

from __future__ import annotations

SYMBOL: dict[str, str] = {
    "UP": "✔",
    "OK": "✔",
    "DEGRADED": "▲",
    "WARN": "▲",
    "DOWN": "✖",
    "CRIT": "✖",
    "UNREACHABLE": "◌",
    "UNKNOWN": "?",
    "MAINTENANCE": "⚒",
    "ASLEEP": "☾",
    "FLAPPING": "↯",
}
