"""Authentication: one pure-ASGI middleware that puts an Actor on every request.

Keys come from settings (`MAPNODE_API_KEYS`, a JSON object `{"key": {"name": …,
"edition": "government", "roles": ["reader"]}}`) until the user and application registry
exists. A key is read from `tk=` (the 天地图 parameter), `X-API-Key`, or
`Authorization: Bearer`. No key means the anonymous public actor; an unknown key is refused
with 401 rather than silently downgraded. Authorisation is not decided here: see
`mapnode.access.policy`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mapnode.model import Actor, Edition, Role


def actors_from_settings(keys: dict[str, dict[str, Any]]) -> dict[str, Actor]:
    """Build the key → Actor table once, at start-up."""
    table = {}
    for key, spec in keys.items():
        roles = frozenset(Role(r) for r in spec.get("roles", ["reader"]))
        table[key] = Actor(spec.get("name", "key"), Edition.parse(spec.get("edition", "public")),
                           roles, spec.get("organisation"))
    return table


def key_of(scope: Scope) -> str | None:
    """The key a request carries: `tk=`, else `X-API-Key`, else `Authorization: Bearer`
    (the last of repeated headers); None for no key."""
    raw = scope.get("query_string", b"")
    if raw and (b"tk" in raw or b"%" in raw):  # else parse_qs cannot find a `tk`
        query = parse_qs(raw.decode("latin-1"))
        if query.get("tk"):
            return query["tk"][0]
    api_key, auth = "", ""
    for k, v in scope["headers"]:
        name = k.decode("latin-1").lower()
        if name == "x-api-key":
            api_key = v.decode("latin-1")
        elif name == "authorization":
            auth = v.decode("latin-1")
    if api_key:
        return api_key
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


ANONYMOUS = Actor.anonymous()  # immutable: one value for every request without a key


def resolve(scope: Scope, actors: dict[str, Actor]) -> Actor | None:
    """The caller of a request: anonymous without a key, the key's actor, or None for an
    unknown key (which must be refused, never downgraded)."""
    key = key_of(scope)
    if key is None:
        return ANONYMOUS
    return actors.get(key)


class AuthMiddleware:
    """Resolve the caller to an Actor (`scope["actor"]`) before any route runs."""

    def __init__(self, app: ASGIApp, actors: dict[str, Actor]) -> None:
        self.app = app
        self.actors = actors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        actor = resolve(scope, self.actors)
        if actor is not None:
            scope["actor"] = actor
        else:
            response = JSONResponse(
                {"type": "urn:mapnode:error:unauthorized", "title": "密钥无效",
                 "title_en": "invalid key", "status": 401},
                status_code=401, media_type="application/problem+json")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def actor_of(request: Request) -> Actor:
    """The caller of this request, as the middleware resolved it."""
    actor = request.scope.get("actor")
    return actor if isinstance(actor, Actor) else Actor.anonymous()
