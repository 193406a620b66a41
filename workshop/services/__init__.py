"""The use cases. Each public function is one operation a person can perform.

They take the acting person explicitly, check permission, validate, write,
commit and publish through :mod:`workshop.realtime`. Views, socket handlers,
the CLI and tests all call these and nothing else writes to the database.
"""
