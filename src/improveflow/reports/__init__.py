"""The committee report: its model (pure data, stored as JSON in a snapshot) and its renderers.

Nothing here touches the database: `services.reports` reads the plan, builds the model here,
stores it, and renders it; a stored model renders to the same bytes every time.
"""
