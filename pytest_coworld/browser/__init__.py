"""Browser-level checks in a real headless Chromium, driven by Playwright (pytest-free; see `fixtures`).

`locate` finds a browser, `session` launches it on a thread of its own, `probes` open client pages and
return plain observations (`observations`), `verdicts` judge them, and `live` holds the probes that watch
the certification episode while it plays.
"""
