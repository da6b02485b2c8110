"""The Integrations pages: server-rendered API Keys, Members and Audit log tabs."""
