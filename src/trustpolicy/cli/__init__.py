"""The command line (``trustpolicy ...``): commands, rendering and the demo.

The top room: it may import every other room.
"""
