"""``python -m trustpolicy``: the same command line as the ``trustpolicy`` script."""

from trustpolicy.cli._cli import main

main()
