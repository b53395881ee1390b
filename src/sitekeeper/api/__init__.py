"""The HTTP server: the REST API under /api/v1, the dashboard, /metrics and health."""
