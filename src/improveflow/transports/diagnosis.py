"""Why email could not go, in plain words, and what the council's IT team should change.

`improveflow mail check` shows these. Each recognised cause (`transports.base.Cause`) has its
explanation; the settings fill in the names (the mailbox, the server, the app's client id) so
that the advice can be followed as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from improveflow.config import Settings
from improveflow.transports.base import Cause, DeliveryFailure, Stage, TemporaryFailure

__all__ = ["Explanation", "explain"]

MICROSOFT_365_RATE = 30  # messages a minute per mailbox, Exchange Online's documented limit


@dataclass(frozen=True)
class Explanation:
    """What happened, and what to change (None when there is nothing to change)."""

    what: str
    fix: str | None


def explain(failure: DeliveryFailure, settings: Settings) -> Explanation:
    """The explanation of `failure` for the council's IT team."""
    mailbox = settings.mailbox
    app = settings.oauth_client_id or "the app"
    match failure.cause:
        case Cause.UNREACHABLE | Cause.TIMED_OUT:
            return _unreachable(failure, settings)
        case Cause.BASIC_AUTH_DISABLED:
            return Explanation(
                "Microsoft 365 refused the username and password: basic authentication for "
                "SMTP is turned off for this tenant or mailbox. Microsoft turns it off for every "
                "tenant by the end of December 2026, so password login will not come back.",
                "Move improveflow to OAuth. Register an app in Microsoft Entra ID, give it the "
                "Office 365 Exchange Online application permission SMTP.SendAsApp and grant "
                "admin consent, register its service principal in Exchange Online "
                "(New-ServicePrincipal) and give it access to the mailbox "
                f"(Add-MailboxPermission -Identity {mailbox} -AccessRights FullAccess). Then set "
                "IMPROVEFLOW_SMTP_AUTH=oauth2, IMPROVEFLOW_OAUTH_TENANT, "
                "IMPROVEFLOW_OAUTH_CLIENT_ID and IMPROVEFLOW_OAUTH_CLIENT_SECRET. Or send through "
                "Microsoft Graph instead: IMPROVEFLOW_MAIL_TRANSPORT=graph with the Mail.Send "
                "permission.",
            )
        case Cause.SMTP_AUTH_DISABLED:
            return Explanation(
                "Exchange Online refused the login because SMTP AUTH (authenticated client "
                f"submission) is turned off for the tenant or for the mailbox {mailbox}.",
                "In Exchange Online PowerShell, turn it on for the mailbox: Set-CASMailbox "
                f"-Identity {mailbox} -SmtpClientAuthenticationDisabled $false. Or send "
                "through Microsoft Graph, which does not use SMTP AUTH: "
                "IMPROVEFLOW_MAIL_TRANSPORT=graph.",
            )
        case Cause.LOGIN_REFUSED if settings.mail_transport == "smtp" and settings.uses_oauth:
            return Explanation(
                f"The mail server refused the app's token for the mailbox {mailbox}.",
                f"Give the app ({app}) the Office 365 Exchange Online application permission "
                "SMTP.SendAsApp and grant admin consent; register its service principal in "
                "Exchange Online (New-ServicePrincipal -AppId "
                f"{app} -ObjectId <the enterprise application's object id>) and give it "
                f"access to the mailbox (Add-MailboxPermission -Identity {mailbox} -User "
                "<the service principal's id> -AccessRights FullAccess). "
                "IMPROVEFLOW_SMTP_USERNAME, if set, must be that mailbox.",
            )
        case Cause.LOGIN_REFUSED:
            return Explanation(
                "The mail server refused the username and password.",
                "Check IMPROVEFLOW_SMTP_USERNAME and IMPROVEFLOW_SMTP_PASSWORD, or set "
                "IMPROVEFLOW_SMTP_AUTH=none if the server takes mail from this machine without "
                "a login.",
            )
        case Cause.TOKEN_REFUSED:
            return _token_refused(failure, settings)
        case Cause.CERTIFICATE_UNUSABLE:
            return Explanation(
                "improveflow cannot sign in to Microsoft Entra ID with the certificate file: "
                f"{failure.reason.partition(' cannot be used: ')[2] or failure.reason}.",
                "IMPROVEFLOW_OAUTH_CERTIFICATE_PATH must name a PEM file holding both the "
                "certificate uploaded to the app registration (Certificates & secrets > "
                "Certificates) and its RSA private key, readable by the account improveflow "
                "runs as; IMPROVEFLOW_OAUTH_CERTIFICATE_PASSWORD is the key's password if it "
                "has one.",
            )
        case Cause.TOKEN_REJECTED:
            return Explanation(
                "Microsoft Graph refused the app's token.",
                "The token must be for Microsoft Graph: leave IMPROVEFLOW_OAUTH_SCOPE unset. "
                f"Check the app ({app}) has the Microsoft Graph application permission Mail.Send "
                "with admin consent.",
            )
        case Cause.PERMISSION_MISSING:
            return _permission_missing(failure, settings)
        case Cause.SEND_AS_DENIED:
            return Explanation(
                f"The server refused to send as {mailbox}: the account improveflow signs in as "
                "may not send as that address.",
                f"Send from the mailbox the app signs in as (IMPROVEFLOW_SMTP_FROM and, for "
                "SMTP, IMPROVEFLOW_SMTP_USERNAME both that mailbox), or grant it Send As: "
                f"Add-RecipientPermission -Identity {mailbox} -Trustee <the mailbox or service "
                "principal improveflow uses> -AccessRights SendAs.",
            )
        case Cause.MAILBOX_NOT_FOUND:
            return Explanation(
                f"Microsoft Graph has no mailbox {mailbox} that it can send from.",
                "Set IMPROVEFLOW_SMTP_FROM to the address of a user or shared mailbox in "
                "Exchange Online (a shared mailbox needs no licence).",
            )
        case Cause.THROTTLED:
            asked = failure.retry_after if isinstance(failure, TemporaryFailure) else None
            wait = f" It asked to wait {asked:g} seconds." if asked else ""
            return Explanation(
                f"The service is throttling improveflow: too much mail, too fast.{wait} Emails "
                "are not lost: they wait and are tried again.",
                f"If this keeps happening, set IMPROVEFLOW_SMTP_RATE_LIMIT={MICROSOFT_365_RATE} "
                f"(Microsoft 365 allows {MICROSOFT_365_RATE} messages a minute per mailbox) and "
                f"check what else sends from {mailbox}.",
            )
        case Cause.NOTIFY_KEY_INVALID:
            return Explanation(
                "GOV.UK Notify does not recognise the API key: it was revoked, mistyped, or "
                "belongs to another service.",
                "Create a live API key (Notify: API integration > API keys > Create an API key) "
                "and put the whole key in IMPROVEFLOW_NOTIFY_API_KEY.",
            )
        case Cause.NOTIFY_CLOCK:
            return Explanation(
                "GOV.UK Notify refused the request because this server's clock is more than "
                "30 seconds out.",
                "Keep the server's clock synchronised (NTP).",
            )
        case Cause.NOTIFY_TEAM_KEY:
            return Explanation(
                "The Notify API key is a 'team and guest list' key: it sends only to the "
                "service's team members and guest list.",
                "Use a live key (Notify: API integration > API keys > Create an API key > Live) "
                "in IMPROVEFLOW_NOTIFY_API_KEY; live keys need the service to be live.",
            )
        case Cause.NOTIFY_TRIAL_MODE:
            return Explanation(
                "The Notify service is in trial mode, so it sends only to its own team.",
                "Ask GOV.UK Notify to make the service live (Settings > Make your service "
                "live), then use a live API key.",
            )
        case Cause.NOTIFY_DAILY_LIMIT:
            return Explanation(
                "The Notify service has used its daily allowance of messages. Emails wait "
                "until it resets at midnight UTC.",
                "If this recurs, ask GOV.UK Notify for a higher daily limit.",
            )
        case Cause.NOTIFY_TEMPLATE_NOT_FOUND:
            return Explanation(
                f"Notify has no template {settings.notify_template_id} in the service the API "
                "key belongs to.",
                "Copy the template's ID from Notify (Templates > the template > Copy template "
                "ID) into IMPROVEFLOW_NOTIFY_TEMPLATE_ID; the key and the template must belong "
                "to the same service.",
            )
        case Cause.NOTIFY_TEMPLATE_WRONG:
            return Explanation(
                "The Notify template is not one improveflow can fill: improveflow puts each "
                "email's subject and text into one generic email template.",
                "In Notify, make an email template whose subject is ((subject)) and whose "
                "message is ((body)), and nothing else, and put its ID in "
                "IMPROVEFLOW_NOTIFY_TEMPLATE_ID.",
            )
        case Cause.NOTIFY_REPLY_TO_UNKNOWN:
            return Explanation(
                "Notify does not know the reply-to address IMPROVEFLOW_NOTIFY_REPLY_TO_ID names.",
                "Copy a reply-to address's ID from Notify (Settings > Reply-to email addresses) "
                "into IMPROVEFLOW_NOTIFY_REPLY_TO_ID, or leave it unset for the default.",
            )
        case Cause.RECIPIENT_REFUSED:
            return Explanation(
                "The server refused that address.",
                "Check the address: the refusal concerns that recipient, not the settings.",
            )
        case Cause.MESSAGE_REFUSED:
            return Explanation("The server refused the message itself.", None)
        case _:
            return Explanation(
                "The service reported a problem of its own.",
                "Try again later; if it goes on, check the service's status page.",
            )


def _unreachable(failure: DeliveryFailure, settings: Settings) -> Explanation:
    late = "did not answer in time" if failure.cause is Cause.TIMED_OUT else "could not be reached"
    if failure.stage is Stage.TOKEN:
        return Explanation(
            f"The sign-in service {settings.oauth_token_endpoint} {late}.",
            "Let this server make HTTPS connections to login.microsoftonline.com (or to "
            "IMPROVEFLOW_OAUTH_TOKEN_URL), through the proxy if there is one.",
        )
    if settings.mail_transport == "graph":
        return Explanation(
            f"Microsoft Graph ({settings.graph_url}) {late}.",
            "Let this server make HTTPS connections to graph.microsoft.com.",
        )
    if settings.mail_transport == "notify":
        return Explanation(
            f"GOV.UK Notify ({settings.notify_base_url}) {late}.",
            "Let this server make HTTPS connections to api.notifications.service.gov.uk.",
        )
    return Explanation(
        f"The mail server {settings.smtp_host}:{settings.smtp_port} {late}.",
        "Check IMPROVEFLOW_SMTP_HOST and IMPROVEFLOW_SMTP_PORT (Microsoft 365: "
        "smtp.office365.com, port 587, with IMPROVEFLOW_SMTP_STARTTLS=true) and that the "
        "firewall lets this server connect to it.",
    )


def _token_refused(failure: DeliveryFailure, settings: Settings) -> Explanation:
    code = failure.code or ""
    secret = "IMPROVEFLOW_OAUTH_CLIENT_SECRET"
    if settings.oauth_certificate_path is not None:
        secret = "IMPROVEFLOW_OAUTH_CERTIFICATE_PATH"
        if code in ("AADSTS700027", "AADSTS700021", "invalid_client"):
            return Explanation(
                "Microsoft Entra ID refused the certificate: the app registration does not have "
                "it, or the request was not signed with its private key.",
                "Upload the certificate in the PEM file (its public half, a .cer or .pem) under "
                "the app registration's Certificates & secrets > Certificates, and check that the "
                "thumbprint shown there is the file's "
                "(openssl x509 -in FILE -noout -fingerprint -sha1).",
            )
        if code == "AADSTS700024":
            return Explanation(
                "Microsoft Entra ID refused the signed request as outside its valid time: this "
                "server's clock is wrong.",
                "Set the server's clock right (synchronise it with NTP).",
            )
    if code in ("AADSTS7000215", "AADSTS7000222", "invalid_client"):
        return Explanation(
            "Microsoft Entra ID refused the client secret: it is wrong or has expired.",
            "Under the app registration's Certificates & secrets, add a new client secret and "
            f"put its Value (not its Secret ID) in {secret}. Secrets expire: note the date.",
        )
    if code in ("AADSTS700016", "unauthorized_client"):
        return Explanation(
            f"Microsoft Entra ID has no app {settings.oauth_client_id} in the tenant "
            f"{settings.oauth_tenant or ''}.".replace(" .", "."),
            "Set IMPROVEFLOW_OAUTH_CLIENT_ID to the app registration's Application (client) ID "
            "and IMPROVEFLOW_OAUTH_TENANT to the Directory (tenant) ID it is registered in.",
        )
    if code in ("AADSTS90002", "AADSTS900023"):
        return Explanation(
            f"Microsoft Entra ID has no tenant {settings.oauth_tenant}.",
            "Set IMPROVEFLOW_OAUTH_TENANT to the Directory (tenant) ID from the app "
            "registration's overview, or the council's onmicrosoft.com domain.",
        )
    if code in ("AADSTS1002012", "AADSTS70011", "invalid_scope"):
        return Explanation(
            f"Microsoft Entra ID refused the scope {settings.oauth_token_scope}.",
            "Leave IMPROVEFLOW_OAUTH_SCOPE unset: improveflow asks for the right one.",
        )
    return Explanation(
        "Microsoft Entra ID would not issue a token.",
        "Check the app registration and IMPROVEFLOW_OAUTH_TENANT, IMPROVEFLOW_OAUTH_CLIENT_ID "
        f"and {secret}.",
    )


def _permission_missing(failure: DeliveryFailure, settings: Settings) -> Explanation:
    app = settings.oauth_client_id or "the app"
    if settings.mail_transport == "graph":
        return Explanation(
            f"Microsoft Graph will not let the app send as {settings.mailbox}: it lacks the "
            "Mail.Send permission, or it is restricted to other mailboxes.",
            f"In the app registration ({app}), add Microsoft Graph > Application permissions > "
            "Mail.Send and grant admin consent. If the app is limited to some mailboxes (an "
            "application access policy, or RBAC for Applications with a management scope), "
            f"include {settings.mailbox}.",
        )
    return Explanation(
        "The app's token does not carry the SMTP.SendAsApp permission.",
        f"In the app registration ({app}), add APIs my organization uses > Office 365 Exchange "
        "Online > Application permissions > SMTP.SendAsApp, and grant admin consent.",
    )
