"""The staff triage interface (SPEC §5): queue, cases, actions, dashboard, exports.

``create_app(config)`` returns the FastAPI application that ``intake serve`` runs.
"""

from intake.web.app import create_app

__all__ = ["create_app"]
