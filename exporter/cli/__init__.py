"""The command line: option declarations, the commands they run, the config file, `new` templates."""

from exporter.cli.main import main

__all__ = ["main"]
