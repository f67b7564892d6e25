"""Bundles: build, sign and verify, serve to agents, and write the agents' configuration.

May import the rooms below it: contract, engine and client (today it uses contract and engine).
"""
