"""Authoring policy: running the policy tests and listing the provisions.

May import the rooms below it: contract, engine, client, bundles and record.
"""
