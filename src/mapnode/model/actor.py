"""Who asks: an anonymous citizen, a user, an application key or another node."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Edition(StrEnum):
    """The three editions of a node's data, from least to most restricted."""

    PUBLIC = "public"  # 公众版
    GOVERNMENT = "government"  # 政务版
    CLASSIFIED = "classified"  # 涉密版

    @property
    def rank(self) -> int:
        return _EDITION_RANK[self]

    @property
    def label_zh(self) -> str:
        return {"public": "公众", "government": "政务", "classified": "涉密"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Edition:
        aliases = {"公众": "public", "政务": "government", "涉密": "classified"}
        return cls(aliases.get(text, text))


_EDITION_RANK = {Edition.PUBLIC: 0, Edition.GOVERNMENT: 1, Edition.CLASSIFIED: 2}


class Role(StrEnum):
    READER = "reader"
    EDITOR = "editor"  # may write changesets
    ADMIN = "admin"  # may manage layers and users


@dataclass(frozen=True)
class Actor:
    """The caller of every service function. Access is decided from this alone."""

    name: str
    edition: Edition = Edition.PUBLIC
    roles: frozenset[Role] = field(default_factory=frozenset)
    organisation: str | None = None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(name="anonymous")

    @classmethod
    def system(cls) -> Actor:
        """The node itself (CLI on the server, background jobs): sees and may do everything."""
        return cls(
            name="system",
            edition=Edition.CLASSIFIED,
            roles=frozenset({Role.READER, Role.EDITOR, Role.ADMIN}),
        )
