"""The decision record: the collector, the store, the masking of inputs and the annual report.

May import the rooms below it: contract, engine, client and bundles (today it uses contract).
"""
