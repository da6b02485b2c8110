"""Views of the REST API; each only validates input and calls the services."""
