"""Changesets as values: a list of operations, each naming the version it was based on.

A changeset can be inverted (undo) and composed with a later one. Applying it is the store's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry


class OpKind(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Operation:
    """One change to one feature.

    `base_version` is the version the change was made against (None for an insert).
    `old_*` describe the based-on state (needed to invert); `geometry`/`properties` the new one.
    """

    kind: OpKind
    layer: str
    fid: str
    geometry: BaseGeometry | None = None
    properties: dict[str, Any] | None = None
    base_version: int | None = None
    old_geometry: BaseGeometry | None = None
    old_properties: dict[str, Any] | None = None
    version: int | None = None  # the version this operation produced, once applied

    def inverted(self, applied_version: int | None = None) -> Operation:
        """The operation that undoes this one, once it was applied as `applied_version`."""
        applied_version = self.version if applied_version is None else applied_version
        if self.kind is OpKind.INSERT:
            return Operation(OpKind.DELETE, self.layer, self.fid, base_version=applied_version,
                             old_geometry=self.geometry, old_properties=self.properties)
        if self.kind is OpKind.DELETE:
            return Operation(OpKind.INSERT, self.layer, self.fid, geometry=self.old_geometry,
                             properties=self.old_properties)
        return Operation(OpKind.UPDATE, self.layer, self.fid, geometry=self.old_geometry,
                         properties=self.old_properties, base_version=applied_version,
                         old_geometry=self.geometry, old_properties=self.properties)


@dataclass
class Changeset:
    """A unit of change. Source is one of: upload, edit, crowd, sync:<node>."""

    author: str
    message: str = ""
    source: str = "edit"
    organisation: str = ""
    operations: list[Operation] = field(default_factory=list)

    def insert(self, layer: str, fid: str, geometry: BaseGeometry | None,
               properties: dict[str, Any]) -> Changeset:
        self.operations.append(Operation(OpKind.INSERT, layer, fid, geometry, properties))
        return self

    def update(self, layer: str, fid: str, base_version: int, geometry: BaseGeometry | None,
               properties: dict[str, Any]) -> Changeset:
        self.operations.append(
            Operation(OpKind.UPDATE, layer, fid, geometry, properties, base_version))
        return self

    def delete(self, layer: str, fid: str, base_version: int) -> Changeset:
        self.operations.append(Operation(OpKind.DELETE, layer, fid, base_version=base_version))
        return self

    def inverted(self) -> Changeset:
        """The changeset that undoes this one (its operations must carry applied versions,
        as those from `VersionedStore.changeset` do)."""
        ops = [op.inverted() for op in reversed(self.operations)]
        return Changeset(self.author, f"撤销 / undo: {self.message}", self.source,
                         self.organisation, ops)

    def compose(self, later: Changeset) -> Changeset:
        """One changeset with the effect of self followed by `later`, per feature.

        Operations on the same feature collapse: insert+update = insert, insert+delete = nothing,
        update+update = update (keeping the first base), update+delete = delete.
        """
        merged: dict[tuple[str, str], Operation | None] = {}
        order: list[tuple[str, str]] = []
        for op in [*self.operations, *later.operations]:
            key = (op.layer, op.fid)
            if key not in merged:
                order.append(key)
                merged[key] = op
                continue
            first = merged[key]
            merged[key] = _collapse(first, op)
        ops = [op for key in order if (op := merged[key]) is not None]
        return Changeset(self.author, self.message, self.source, self.organisation, ops)


def _collapse(first: Operation | None, then: Operation) -> Operation | None:
    if first is None:  # inserted then deleted earlier; a later insert starts anew
        return then
    if first.kind is OpKind.INSERT:
        if then.kind is OpKind.DELETE:
            return None
        return replace(first, geometry=then.geometry, properties=then.properties)
    if then.kind is OpKind.DELETE:
        return replace(then, base_version=first.base_version,
                       old_geometry=first.old_geometry, old_properties=first.old_properties)
    if first.kind is OpKind.DELETE and then.kind is OpKind.INSERT:
        return Operation(OpKind.UPDATE, first.layer, first.fid, then.geometry, then.properties,
                         first.base_version, first.old_geometry, first.old_properties)
    return replace(first, geometry=then.geometry, properties=then.properties)
