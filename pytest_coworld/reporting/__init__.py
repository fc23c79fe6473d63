"""Reports of a certification: header, per-check records, terminal summary, JUnit properties, JSON report."""
