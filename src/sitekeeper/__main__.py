"""`python -m sitekeeper` is the `sitekeeper` command."""

from sitekeeper.cli.app import main

main()
