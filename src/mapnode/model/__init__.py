"""Domain values: layers, features, changesets, log entries, actors. No I/O here."""

from mapnode.model.actor import Actor, Edition, Role
from mapnode.model.changeset import Changeset, Operation, OpKind
from mapnode.model.feature import Diff, Feature, FeatureChange
from mapnode.model.layer import FieldType, GeometryType, LayerKind, LayerMeta
from mapnode.model.log import LayerChange, LogEntry

__all__ = [
    "Actor",
    "Changeset",
    "Diff",
    "Edition",
    "Feature",
    "FeatureChange",
    "FieldType",
    "GeometryType",
    "LayerChange",
    "LayerKind",
    "LayerMeta",
    "LogEntry",
    "OpKind",
    "Operation",
    "Role",
]
