"""The advisor around the pure model: a client's settings, history and report from the store.

`sitekeeper.plan` is the model (pure numpy); this package reads the store, turns a client's
inventory, `service:` block, imported tickets and recorded incidents into the model's inputs,
and builds the one report the CLI, the API and the dashboard show (docs/advisor.md).
"""
