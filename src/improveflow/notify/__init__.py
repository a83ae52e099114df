"""Email: render outbox rows with Jinja2 templates, build MIME messages, and send them."""
