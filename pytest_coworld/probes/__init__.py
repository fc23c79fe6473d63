"""Pytest-free probes of a running game from the host: HTTP routes and websocket behaviour."""
