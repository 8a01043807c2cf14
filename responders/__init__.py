"""Replies: French templates, rendering, loop guards, and sending (SMTP or .eml files).

Nothing here imports ``intake`` or ``store``: callers pass plain values (strings,
mappings, bytes) and get plain values or :class:`email.message.EmailMessage` back, so
that the pipeline is the one place where the store and the replies meet.
"""
