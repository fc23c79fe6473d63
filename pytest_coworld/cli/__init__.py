"""The `coworld` command line: one module per command, composed in `app.py`; run by `entry_point.py`."""
