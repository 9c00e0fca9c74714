"""Self-hosted support mail appliance."""

__version__ = "0.1.0"
