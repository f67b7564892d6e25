"""The engine: ``LocalOPA`` (a pinned ``opa`` run locally) and locating the pinned tools.

May import only :mod:`trustpolicy.contract`; it does not know the clients.
"""
