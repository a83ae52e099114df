"""Replies to improveflow's email: who a reply is for, whether to trust it, and what it says.

Pure: nothing here touches the database or sends anything. `services.replies` records what
these modules make of a message; `cli.inbound` brings messages in over SMTP/LMTP or IMAP.
"""
