"""``python -m policystack`` runs the command line."""

from .cli import main

main()
