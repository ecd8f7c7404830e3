"""Subcommands of `fengqiao`, one module per resource; each registers itself with api.cli.command."""
