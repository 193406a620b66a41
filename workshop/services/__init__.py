"""The operations. Each public function is one thing a person can do.

They take the acting person explicitly, check permission, validate, write,
commit and publish through :mod:`workshop.events`. Views, socket handlers,
the CLI and tests all call these, and nothing else writes to the database.
A service may use a lower one (amendments and duels write versions through
:mod:`editing`), never the other way round.
"""
