"""Domain errors that every interface (API, pages, admin, commands) turns into a clear answer.

Each error carries the HTTP status an API would answer with and a user-facing message;
the interfaces never decide the meaning of a failure themselves.
"""


class DomainError(Exception):
    """A refused operation: nothing was changed."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The request is malformed or names something that does not exist (400)."""

    status_code = 400


class Forbidden(DomainError):
    """The actor's role does not allow this operation (403)."""

    status_code = 403


class NotFound(DomainError):
    """The object does not exist or the actor may not see it (404)."""

    status_code = 404


class Conflict(DomainError):
    """The operation is impossible in the object's current state (409)."""

    status_code = 409
