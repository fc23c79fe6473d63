"""The certification checks: real pytest test modules, collected when a manifest is given.

`catalog.py` names every check (stable id, category, the contract rule it enforces); the `test_*.py`
modules are the checks themselves, each using the public `coworld_*` fixtures.
"""
