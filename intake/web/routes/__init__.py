"""The site's routes, one module per purpose: login, queue, case page, files, actions,
dashboard, exports and administration."""
