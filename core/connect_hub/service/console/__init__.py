"""The operator console at ``/console``: server-rendered pages over the store, for people.

Pages are HTML rendered on the server (Jinja2 templates), so every page reads with JavaScript
off and nothing needs building; one small script (``static/console.js``) refreshes the parts of a
page marked ``data-live`` without a reload. Nothing is loaded from elsewhere (the
Content-Security-Policy says so to the browser). See :mod:`.auth` for sign-in and CSRF.
"""

from connect_hub.service.console.app import console_app

__all__ = ["console_app"]
