"""REST API of accounts: token login for API clients (`/api/auth/login`, refresh, logout)."""
