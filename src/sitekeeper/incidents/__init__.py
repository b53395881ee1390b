"""One root cause, one incident: correlate device failures over the dependency graph, then
group, inhibit, silence and route what is left (Alertmanager-style stages)."""
