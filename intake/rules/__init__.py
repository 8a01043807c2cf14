"""Classification rules: small named checks, as a readable table, with their words."""
