"""Serializers of the REST API: input validation and the JSON shape of each object."""
