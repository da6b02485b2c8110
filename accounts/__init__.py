"""People: sign-up, sign-in, two-factor and token login for API clients."""
