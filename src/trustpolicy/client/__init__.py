"""The client side: the sync and async clients that ask an OPA for a decision.

May import only :mod:`trustpolicy.contract`; it does not know the engine, bundles or record.
"""
