"""How email leaves: SMTP (password, OAuth or none), Microsoft Graph, or GOV.UK Notify.

Every transport takes the same built message (`notify.message.OutgoingEmail`) and reports a
failure as temporary or permanent (`transports.base`). `TransportFactory` picks one from the
settings; `transports.check` is what `improveflow mail check` runs.
"""
