"""The web app: server-rendered pages for action owners, approvers and peer-challenge leads.

Build it with `improveflow.web.app.create_app(ctx)`; serve it with `improveflow.web.serve`.
"""
