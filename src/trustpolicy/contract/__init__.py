"""The contract: request models, the decision, enumerations, limits, errors, input checks.

Also API-token digests and the packaged input schema (docs/trust-act.md is the text).
Imports nothing of ours: every other room may import it.
"""
