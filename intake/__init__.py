"""intake: the mailbox triage bot.

This package is where the parsers, the store and the responders meet: configuration,
classification rules, the processing pipeline, mail sources, the scheduler, the CLI
and the staff web interface.
"""

__version__ = "0.1.0"
