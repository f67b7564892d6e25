"""The contract: request models, the decision, enumerations, limits, errors and input checks.

The types of the published contract (docs/trust-act.md) and the packaged input schema.
Imports nothing of ours: every other room may import it.
"""
