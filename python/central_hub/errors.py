"""The errors the client raises: the hub's own answer, or no answer at all."""

from __future__ import annotations

from typing import Optional


class HubError(Exception):
    """The hub answered with an error.

    ``status`` is the HTTP status, ``code`` the hub's error code (``invalid_argument``,
    ``not_found``, ``forbidden``, ...) and ``message`` its explanation, which says what was wrong.
    """

    def __init__(self, status: int, code: str, message: str, path: str = "") -> None:
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        super().__init__(f"{path}: {status} {code}: {message}" if path else f"{status} {code}: {message}")

    @property
    def transient(self) -> bool:
        """No answer, a 5xx or a 429: the same request may succeed later. A 4xx would fail again."""
        return self.status == 0 or self.status >= 500 or self.status == 429


class HubUnavailable(HubError):
    """No hub answered: refused, reset, timed out or unresolvable. ``status`` is 0."""

    def __init__(self, message: str, path: str = "", cause: Optional[BaseException] = None) -> None:
        super().__init__(0, "unavailable", message, path)
        self.__cause__ = cause
