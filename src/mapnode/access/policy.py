"""The one module that decides access. Routes and services never decide it themselves.

- `visible_editions(actor)`: the editions whose layers the actor may read; the store applies it
  in SQL, so no read path can return a layer outside it.
- `can_read_layer`, `ensure_can_write`: checks for single decisions.
- `scope_key(actor)`: a short string that any cache key must include.
"""

from __future__ import annotations

from mapnode.errors import Forbidden
from mapnode.model.actor import Actor, Edition, Role
from mapnode.model.layer import LayerMeta


def visible_editions(actor: Actor) -> tuple[str, ...]:
    """Editions the actor may read, as stored values (for an SQL `IN` filter)."""
    return tuple(e.value for e in Edition if e.rank <= actor.edition.rank)


def can_read_layer(actor: Actor, layer: LayerMeta) -> bool:
    return layer.edition.rank <= actor.edition.rank


def ensure_can_write(actor: Actor, layer: LayerMeta | None = None) -> None:
    """Writers need the editor role and must be allowed to see the layer they write."""
    if Role.EDITOR not in actor.roles and Role.ADMIN not in actor.roles:
        raise Forbidden("无写入权限", "actor may not write", {"actor": actor.name})
    if layer is not None and not can_read_layer(actor, layer):
        raise Forbidden("无权访问该图层", "actor may not access this layer",
                        {"actor": actor.name, "layer": layer.name})


def ensure_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise Forbidden("需要管理员权限", "admin role required", {"actor": actor.name})


def scope_key(actor: Actor) -> str:
    """The access scope for cache keys: two actors with the same key see the same data."""
    return actor.edition.value
