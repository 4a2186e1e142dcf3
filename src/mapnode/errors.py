"""One error hierarchy for the whole domain. No HTTP here: adapters map these to protocol bodies.

Every error carries a Chinese message first and an English one, plus optional context
(file, feature, field) so the CLI and the HTTP adapters can name exactly what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MapnodeError(Exception):
    """Base of every error mapnode raises on purpose."""

    message_zh: str
    message_en: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    code = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message_zh)

    def __str__(self) -> str:
        text = self.message_zh
        if self.message_en:
            text += f" / {self.message_en}"
        if self.context:
            details = ", ".join(f"{k}={v}" for k, v in self.context.items())
            text += f" ({details})"
        return text


class NotFound(MapnodeError):
    """The thing does not exist, or the actor may not know that it does."""

    code = "not_found"


class InvalidParameter(MapnodeError):
    """A caller-supplied value is malformed or out of range."""

    code = "invalid_parameter"


class Conflict(MapnodeError):
    """A change was based on a version that is no longer current. Nothing was applied."""

    code = "conflict"


class Forbidden(MapnodeError):
    """The actor is known but may not do this."""

    code = "forbidden"


class TimedOut(MapnodeError):
    """The request took longer than the configured limit; nothing was changed."""

    code = "timeout"


class StoreError(MapnodeError):
    """The store is unusable (wrong URL, schema from a newer version, missing extension)."""

    code = "store_error"


@dataclass
class ProblemItem:
    """One problem found in input data: where it is and what is wrong."""

    reason_zh: str
    reason_en: str
    source: str = ""
    feature: str | None = None
    field_name: str | None = None

    def __str__(self) -> str:
        where = [self.source] if self.source else []
        if self.feature is not None:
            where.append(f"要素/feature {self.feature}")
        if self.field_name is not None:
            where.append(f"字段/field {self.field_name}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason_zh} / {self.reason_en}" if prefix else (
            f"{self.reason_zh} / {self.reason_en}"
        )


class InvalidData(MapnodeError):
    """Input data failed validation; `problems` lists every problem found (up to a limit)."""

    code = "invalid_data"

    def __init__(
        self,
        message_zh: str,
        message_en: str = "",
        problems: list[ProblemItem] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_zh, message_en, context or {})
        self.problems = problems or []
