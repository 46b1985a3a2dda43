"""Feature subcommands. Each module here exposes ``COMMANDS``: a list of click commands.

They are added to ``policystack`` automatically; keep heavy imports inside the
command functions so ``policystack --help`` stays fast.
"""
