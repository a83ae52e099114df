"""Real servers on loopback that answer like the services email goes through, for tests.

- `TokenEndpoint`: an OAuth 2.0 token endpoint for the client-credentials flow, as Microsoft
  Entra ID answers it (tokens that expire, AADSTS errors for a wrong secret, app or tenant), to a
  client secret or a client assertion signed with a registered certificate (`app_certificate`
  makes one).
- `OAuthSmtpServer`: the capturing SMTP server offering AUTH XOAUTH2 and accepting only tokens
  the endpoint issued; it can also refuse basic authentication and SendAs as Exchange Online does.
- `GraphServer`: Microsoft Graph's `POST /users/{mailbox}/sendMail` with MIME content (202,
  401/403/404 error bodies, 429 with Retry-After, Graph's four concurrent requests per mailbox).
- `NotifyServer`: GOV.UK Notify's `/v2/notifications/email` and `/v2/template/{id}`, checking
  each request's JWT against the keys it issued (test, team or live).

Each runs in threads, records what it received, and is reached only through the URL settings.
`mail_service` starts the one a transport needs, with the same levers for each, so a dispatch
test can run against every transport.
The error bodies follow the services' documentation.
"""

from improveflow.testing.mail_apis.certificates import app_certificate
from improveflow.testing.mail_apis.graph import GraphRequest, GraphServer
from improveflow.testing.mail_apis.http import loopback_tls
from improveflow.testing.mail_apis.messages import sample_email
from improveflow.testing.mail_apis.notify import NotifyRequest, NotifyServer
from improveflow.testing.mail_apis.services import KINDS, MailService, mail_service
from improveflow.testing.mail_apis.smtp import OAuthSmtpServer
from improveflow.testing.mail_apis.tokens import (
    GRAPH_AUDIENCE,
    SMTP_AUDIENCE,
    TokenEndpoint,
    Verdict,
)

__all__ = [
    "GRAPH_AUDIENCE",
    "KINDS",
    "SMTP_AUDIENCE",
    "GraphRequest",
    "GraphServer",
    "MailService",
    "NotifyRequest",
    "NotifyServer",
    "OAuthSmtpServer",
    "TokenEndpoint",
    "Verdict",
    "app_certificate",
    "loopback_tls",
    "mail_service",
    "sample_email",
]
