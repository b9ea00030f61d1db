"""Connexion-style security: authentication when a client connects, authorisation per event.

Which requirements apply to a namespace
    The channel's ``x-security`` when it has one (``x-security: []`` makes the namespace public);
    else the security of the server picked with ``server_name``, or of the only server. When the
    document has several servers and none is picked, the namespace accepts the requirements of
    every server that declares security (one of them suffices) and a ``UserWarning`` says so:
    picking a server with ``server_name`` is the way to apply exactly one server's security. Within
    one requirement every scheme must pass (AND); across the list one requirement suffices (OR),
    tried in order. An empty requirement (``{}``) lets anybody in.

Schemes: where the credential comes from, and the info function (a dotted path) it goes to
    ``http`` ``basic`` and ``userPassword``
        ``Authorization: Basic …``, else ``auth={"username": …, "password": …}``;
        ``x-basicInfoFunc(username, password, required_scopes)``.
    ``http`` ``bearer``
        ``Authorization: Bearer …``, else ``auth={"token": …}``;
        ``x-bearerInfoFunc(token, required_scopes, bearer_format)``.
    ``httpApiKey`` (``in: header``, ``query`` or ``cookie``)
        the header, query parameter or cookie called ``name``, else ``auth={name: …}``;
        ``x-apiKeyInfoFunc(api_key, required_scopes)``.
    ``apiKey`` (``in: user`` or ``in: password``)
        the user name (or the password) of an ``Authorization: Basic`` header, else
        ``auth["username"]`` (or ``auth["password"]``); ``x-apiKeyInfoFunc(api_key,
        required_scopes)``. AsyncAPI means these for protocols with a user and a password; over
        Socket.IO the HTTP Basic credentials and the ``auth`` payload are where those live.
    ``oauth2`` and ``openIdConnect``
        ``Authorization: Bearer …``, else ``auth={"token": …}``; ``x-tokenInfoFunc(token)``, then
        ``x-scopeValidateFunc(required_scopes, token_scopes)`` when given, else every required
        scope must be granted.

    The ``auth`` payload is Socket.IO v4's connection payload: browsers cannot set headers on a
    WebSocket. The credential of the HTTP request wins when both are present; a header, parameter or
    cookie that appears more than once is ambiguous and counts as absent. Header names, and the
    ``Basic``/``Bearer`` keywords, are case-insensitive. Only non-empty strings are credentials.
    Scopes may only be required of ``oauth2`` and ``openIdConnect`` schemes (as the AsyncAPI
    specification says), so the other info functions always receive ``required_scopes=[]``.

Info functions
    Return a mapping (a :class:`~asynction.types.SecurityInfo`, extra keys welcome; granted scopes
    as a ``scopes`` sequence or a space-separated ``scope`` string) to accept, ``None`` to refuse,
    or raise ``ConnectionRefusedError`` (Python's or ``socketio.exceptions``') to refuse with a
    message the client reads. Any other exception, a ``ConnectionRefusedError`` carrying an OS
    ``errno`` (a failed socket call inside the function, not a decision) and a return value of any
    other type refuse the connection with ``"unauthorized"`` and are logged (with the traceback);
    the client never sees them.
    Every info function runs at most once per connection attempt, and none runs for a requirement
    whose credentials are not all present. Credentials are never logged.

Token info
    :meth:`ConnectSecurity.authenticate` returns a :class:`TokenInfo`: the mapping the info function
    of the passing requirement returned (for several schemes, their mappings merged, the first
    scheme's keys winning), which also records which schemes passed and the scopes each granted.

Per-event authorisation
    An incoming event whose operation declares ``security`` runs only if one of its requirements is
    met by the connection: every scheme it names is one the connection passed (a scheme of the
    connect-time requirement it met), with every scope it requires granted by that scheme's token
    info (``x-scopeValidateFunc`` decides for schemes that have one). AsyncAPI 3.0 writes required
    scopes on the scheme object, so "oauth2 with ``chat:write``" is often a scheme of its own: a
    scheme counts as passed when the connection passed one that takes the same credential from the
    same place to the same info function. Operation security that names a scheme no connection to
    the namespace authenticates with is a load-time error: a requirement nobody could meet would
    silently refuse everybody.
"""

from __future__ import annotations

import base64
import binascii
import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import parse_qs

from socketio.exceptions import ConnectionRefusedError as SocketIOConnectionRefusedError
from werkzeug.http import parse_cookie

from asynction.exceptions import HandlerImportError, SecurityException, SpecError, SpecLocation
from asynction.importing import import_dotted
from asynction.spec.model import (
    Api,
    Event,
    Namespace,
    SecurityRequirement,
    SecurityScheme,
    Server,
)
from asynction.types import SecurityInfo

__all__ = ["UNAUTHORIZED", "ConnectSecurity", "TokenInfo"]

logger = logging.getLogger(__name__)

UNAUTHORIZED: Final = "unauthorized"
"""What a refused client reads unless an info function refused with a message of its own."""

_BASIC: Final = "basic"
_BEARER: Final = "bearer"
_API_KEY: Final = "apiKey"
_OAUTH2: Final = "oauth2"

_INFO_FUNC: Final[Mapping[str, str]] = {
    _BASIC: "x-basicInfoFunc",
    _BEARER: "x-bearerInfoFunc",
    _API_KEY: "x-apiKeyInfoFunc",
    _OAUTH2: "x-tokenInfoFunc",
}
_INFO_SIGNATURE: Final[Mapping[str, str]] = {
    _BASIC: "(username, password, required_scopes)",
    _BEARER: "(token, required_scopes, bearer_format)",
    _API_KEY: "(api_key, required_scopes)",
    _OAUTH2: "(token)",
}
_SCOPE_VALIDATE_FUNC: Final = "x-scopeValidateFunc"
_SUPPORTED: Final = (
    "http (basic, bearer), userPassword, httpApiKey (in: header, query, cookie), "
    "apiKey (in: user, password), oauth2, openIdConnect"
)

_Credential = Any
"""A ``(username, password)`` pair for basic schemes, else the token or API key string."""
_ScopeCheck = Callable[[tuple[str, ...], tuple[str, ...]], bool]
"""``(required_scopes, granted_scopes) -> bool``."""


class TokenInfo(dict[str, Any]):
    """The token info of an authenticated connection: what its info functions returned.

    Besides the mapping itself it records the names of the security schemes the connection passed
    (``schemes``) and the scopes each of them granted (``scopes_by_scheme``), which per-event
    authorisation reads.
    """

    __slots__ = ("schemes", "scopes_by_scheme")

    schemes: frozenset[str]
    scopes_by_scheme: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The outcome of one scheme's info function for one connection attempt."""

    info: Mapping[str, Any] | None
    """``None`` when the scheme refused the connection."""
    message: str | None = None
    """The client-safe message of a ``ConnectionRefusedError`` the info function raised."""
    scopes: tuple[str, ...] = ()


_REFUSED: Final = _Attempt(None)


class _Request:
    """The credentials a connection attempt carries; each source is parsed at most once."""

    __slots__ = (
        "_auth",
        "_authorization",
        "_cookies",
        "_environ",
        "_parsed_authorization",
        "_query",
    )

    def __init__(self, environ: Mapping[str, Any], auth: Any) -> None:
        self._environ = environ
        self._auth: Mapping[Any, Any] | None = auth if isinstance(auth, Mapping) else None
        self._parsed_authorization = False
        self._authorization: tuple[str, str] | None = None
        self._query: Mapping[str, list[str]] | None = None
        self._cookies: Any = None

    def authorization(self, keyword: str) -> str | None:
        """The credentials of an ``Authorization: <keyword> …`` header (keyword lower-cased)."""
        if not self._parsed_authorization:
            value = self._environ.get("HTTP_AUTHORIZATION")
            if isinstance(value, str):
                found, _, credentials = value.strip().partition(" ")
                self._authorization = (found.lower(), credentials.strip())
            self._parsed_authorization = True
        parsed = self._authorization
        if parsed is None or parsed[0] != keyword or not parsed[1]:
            return None
        return parsed[1]

    def basic(self) -> tuple[str, str] | None:
        """The user name and password of an ``Authorization: Basic`` header."""
        encoded = self.authorization("basic")
        if encoded is None:
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        username, colon, password = decoded.partition(":")
        return (username, password) if colon else None

    def header(self, environ_key: str) -> str | None:
        """A header's value, by its WSGI environ key."""
        value = self._environ.get(environ_key)
        return value if isinstance(value, str) and value else None

    def query(self, name: str) -> str | None:
        """A query parameter's value, when it appears exactly once."""
        if self._query is None:
            query_string = self._environ.get("QUERY_STRING")
            self._query = (
                parse_qs(query_string, keep_blank_values=True)
                if isinstance(query_string, str)
                else {}
            )
        values = self._query.get(name)
        return values[0] if values is not None and len(values) == 1 and values[0] else None

    def cookie(self, name: str) -> str | None:
        """A cookie's value, when it appears exactly once."""
        if self._cookies is None:
            header = self._environ.get("HTTP_COOKIE")
            self._cookies = parse_cookie(header if isinstance(header, str) else None)
        values = self._cookies.getlist(name)
        return values[0] if len(values) == 1 and values[0] else None

    def auth(self, key: str) -> str | None:
        """A string of the Socket.IO ``auth`` payload."""
        if self._auth is None:
            return None
        value = self._auth.get(key)
        return value if isinstance(value, str) and value else None

    def auth_basic(self) -> tuple[str, str] | None:
        """``username`` and ``password`` of the Socket.IO ``auth`` payload."""
        if self._auth is None:
            return None
        username = self._auth.get("username")
        password = self._auth.get("password")
        if isinstance(username, str) and isinstance(password, str):
            return (username, password)
        return None


class _Scheme:
    """A security scheme ready to check credentials: its extractor and its info function."""

    __slots__ = (
        "bearer_format",
        "extract",
        "identity",
        "info_func",
        "info_path",
        "kind",
        "name",
        "scope_check",
    )

    def __init__(
        self,
        definition: SecurityScheme,
        kind: str,
        info_func: Callable[..., Any],
        info_path: str,
        scope_check: _ScopeCheck,
    ) -> None:
        self.name = definition.name
        self.kind = kind
        self.bearer_format = definition.bearer_format
        self.identity = _identity(definition)
        self.extract = _extractor(definition, kind)
        self.info_func = info_func
        self.info_path = info_path
        self.scope_check = scope_check

    def verify(self, credential: _Credential) -> _Attempt:
        """Run the info function once on a credential."""
        try:
            if self.kind == _BASIC:
                username, password = credential
                result = self.info_func(username, password, [])
            elif self.kind == _BEARER:
                result = self.info_func(credential, [], self.bearer_format)
            elif self.kind == _API_KEY:
                result = self.info_func(credential, [])
            else:
                result = self.info_func(credential)
        except SocketIOConnectionRefusedError as exc:
            return _Attempt(None, _client_message(exc.error_args.get("message")))
        except ConnectionRefusedError as exc:
            if isinstance(exc.errno, int):
                # A socket call inside the info function failed: an internal error, not a decision.
                logger.error(
                    "info function %s of security scheme %r failed; connection refused",
                    self.info_path,
                    self.name,
                    exc_info=True,
                )
                return _REFUSED
            return _Attempt(None, _client_message(exc.args[0] if exc.args else None))
        except Exception:
            logger.exception(
                "info function %s of security scheme %r raised; connection refused",
                self.info_path,
                self.name,
            )
            return _REFUSED
        if result is None:
            return _REFUSED
        if not isinstance(result, Mapping):
            logger.error(
                "info function %s of security scheme %r returned %s, not a mapping or None; "
                "connection refused",
                self.info_path,
                self.name,
                type(result).__name__,
            )
            return _REFUSED
        return _Attempt(result, None, _scopes_of(result))


def _client_message(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _scopes_of(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes a token info grants: ``scopes`` (a sequence), else ``scope`` (space-separated)."""
    raw = info.get("scopes")
    if raw is None:
        raw = info.get("scope")
    if isinstance(raw, str):
        return tuple(raw.split())
    if isinstance(raw, (list, tuple, set, frozenset)):
        return tuple(scope for scope in raw if isinstance(scope, str))
    return ()


def _all_scopes_granted(required: tuple[str, ...], granted: tuple[str, ...]) -> bool:
    return set(required).issubset(granted)


def _custom_scope_check(func: Callable[..., Any], path: str, scheme: str) -> _ScopeCheck:
    def check(required: tuple[str, ...], granted: tuple[str, ...]) -> bool:
        try:
            return bool(func(list(required), list(granted)))
        except Exception:
            logger.exception(
                "%s %s of security scheme %r raised; scopes refused",
                _SCOPE_VALIDATE_FUNC,
                path,
                scheme,
            )
            return False

    return check


def _environ_key(header: str) -> str:
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


def _kind(scheme: SecurityScheme) -> str | None:
    """The way asynction checks a scheme, or ``None`` when it cannot."""
    if scheme.type == "http":
        http = (scheme.scheme or "").lower()
        return {"basic": _BASIC, "bearer": _BEARER}.get(http)
    if scheme.type == "userPassword":
        return _BASIC
    if scheme.type == "httpApiKey" and scheme.location_in in ("header", "query", "cookie"):
        return _API_KEY if scheme.parameter_name else None
    if scheme.type == "apiKey" and scheme.location_in in ("user", "password"):
        return _API_KEY
    if scheme.type in ("oauth2", "openIdConnect"):
        return _OAUTH2
    return None


def _identity(scheme: SecurityScheme) -> tuple[Any, ...]:
    """What makes two schemes the same check: the same credential, verified by the same function.

    AsyncAPI 3.0 puts required scopes on the scheme object, so one OAuth2 scheme needing different
    scopes in different places is written as several schemes; per-event authorisation treats a
    connection that passed any of them as having passed the others.
    """
    kind = _kind(scheme)
    path = scheme.extensions.get(_INFO_FUNC[kind]) if kind is not None else None
    info_path = path.strip() if isinstance(path, str) else None
    if kind == _API_KEY:
        parameter = scheme.parameter_name or ""
        if scheme.location_in == "header":
            parameter = parameter.lower()
        return (kind, scheme.location_in, parameter, info_path)
    return (kind, info_path)


def _label(scheme: SecurityScheme) -> str:
    if scheme.type == "http":
        return f"http {scheme.scheme or '(no scheme)'}"
    if scheme.location_in is not None:
        return f"{scheme.type} in {scheme.location_in}"
    return scheme.type


def _extractor(scheme: SecurityScheme, kind: str) -> Callable[[_Request], _Credential | None]:
    """How a scheme finds its credential in a connection attempt; decided once, at load time."""
    if kind == _BASIC:
        return lambda request: request.basic() or request.auth_basic()
    if kind in (_BEARER, _OAUTH2):
        return lambda request: request.authorization("bearer") or request.auth("token")
    location, name = scheme.location_in, scheme.parameter_name or ""
    if location == "header":
        environ_key = _environ_key(name)
        return lambda request: request.header(environ_key) or request.auth(name)
    if location == "query":
        return lambda request: request.query(name) or request.auth(name)
    if location == "cookie":
        return lambda request: request.cookie(name) or request.auth(name)
    position = 0 if location == "user" else 1
    auth_key = "username" if location == "user" else "password"

    def from_basic(request: _Request) -> _Credential | None:
        pair = request.basic()
        return (pair[position] if pair is not None else None) or request.auth(auth_key)

    return from_basic


@dataclass(frozen=True, slots=True)
class _EventCheck:
    """One scheme of an operation's security requirement, ready to check a connection's token."""

    name: str
    required: tuple[str, ...]
    scope_check: _ScopeCheck
    equivalents: tuple[str, ...]
    """The connect-time schemes whose success counts as this scheme's (this one first if used)."""


_EventRequirements = tuple[tuple[_EventCheck, ...], ...]


_Located = tuple[SecurityRequirement, SpecLocation, bool]
"""A requirement, where it is written, and whether its scheme names are JSON pointer tokens."""


class _Compiler:
    """Checks requirements against the document's schemes and imports info functions.

    Problems are collected, not raised one at a time, so that one error lists them all.
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self.problems: list[tuple[SpecLocation, str]] = []
        self.import_problems: list[tuple[SpecLocation, str]] = []
        self._schemes: dict[str, _Scheme | None] = {}
        self._scope_checks: dict[str, _ScopeCheck | None] = {}

    def raise_problems(self) -> None:
        """Raise everything found so far, each problem once."""
        if self.problems:
            problems = list(dict.fromkeys(self.problems))
            raise SpecError(problems, "invalid security in the AsyncAPI document")
        if self.import_problems:
            problems = list(dict.fromkeys(self.import_problems))
            raise HandlerImportError(problems, "cannot import security info functions")

    def check(
        self, name: str, scopes: tuple[str, ...], where: SpecLocation, context: str
    ) -> SecurityScheme | None:
        """The scheme a requirement names, if the requirement may name it with these scopes."""
        schemes = self.api.security_schemes
        definition = schemes.get(name)
        if definition is None:
            defined = ", ".join(repr(key) for key in sorted(schemes)) or "none"
            self.problems.append(
                (
                    where,
                    f"{context} names security scheme {name!r}, which components.securitySchemes "
                    f"does not define (defined: {defined})",
                )
            )
            return None
        kind = _kind(definition)
        if kind is None and definition.type in ("httpApiKey", "apiKey"):
            expected = (
                "'in' header, query or cookie and a 'name'"
                if definition.type == "httpApiKey"
                else "'in' user or password"
            )
            self.problems.append(
                (
                    definition.location,
                    f"security scheme {name!r} of type {definition.type} needs {expected} "
                    f"(has in={definition.location_in!r}, name={definition.parameter_name!r})",
                )
            )
            return None
        if kind is None:
            self.problems.append(
                (
                    where,
                    f"{context} requires security scheme {name!r} of type {_label(definition)} "
                    f"(defined at {definition.location}), which asynction cannot check on a "
                    f"Socket.IO connection; supported: {_SUPPORTED}",
                )
            )
            return None
        if scopes and kind != _OAUTH2:
            self.problems.append(
                (
                    where,
                    f"{context} requires scopes {list(scopes)} of security scheme {name!r} "
                    f"({_label(definition)}), which has no scopes: only oauth2 and openIdConnect "
                    "schemes take scopes, the list must be empty",
                )
            )
            return None
        if definition.type == "oauth2":
            undeclared = [scope for scope in scopes if scope not in definition.scopes]
            if undeclared:
                declared = ", ".join(repr(scope) for scope in definition.scopes) or "none"
                self.problems.append(
                    (
                        where,
                        f"{context} requires scopes {undeclared} of oauth2 scheme {name!r}, "
                        f"which none of its flows declares (declared: {declared})",
                    )
                )
                return None
        return definition

    def scheme(self, definition: SecurityScheme, used_at: SpecLocation) -> _Scheme | None:
        """The compiled scheme (imported once per build), or ``None`` after reporting why not."""
        if definition.name in self._schemes:
            return self._schemes[definition.name]
        kind = cast(str, _kind(definition))
        compiled: _Scheme | None = None
        extension = _INFO_FUNC[kind]
        path = definition.extensions.get(extension)
        info_func = self._load(definition, extension, path, used_at, required=True)
        scope_check = self.scope_check(definition, used_at)
        if info_func is not None and scope_check is not None:
            compiled = _Scheme(definition, kind, info_func, cast(str, path).strip(), scope_check)
        self._schemes[definition.name] = compiled
        return compiled

    def scope_check(self, definition: SecurityScheme, used_at: SpecLocation) -> _ScopeCheck | None:
        """How a scheme judges scopes (``None`` after reporting why it cannot)."""
        if definition.name in self._scope_checks:
            return self._scope_checks[definition.name]
        scope_check: _ScopeCheck | None = _all_scopes_granted
        path = definition.extensions.get(_SCOPE_VALIDATE_FUNC)
        if _kind(definition) == _OAUTH2 and path is not None:
            validate = self._load(definition, _SCOPE_VALIDATE_FUNC, path, used_at)
            scope_check = (
                None
                if validate is None
                else _custom_scope_check(validate, cast(str, path), definition.name)
            )
        self._scope_checks[definition.name] = scope_check
        return scope_check

    def _load(
        self,
        definition: SecurityScheme,
        extension: str,
        path: Any,
        used_at: SpecLocation,
        *,
        required: bool = False,
    ) -> Callable[..., Any] | None:
        where = definition.location.child(extension)
        if path is None:
            if required:
                kind = cast(str, _kind(definition))
                self.problems.append(
                    (
                        definition.location,
                        f"security scheme {definition.name!r} ({_label(definition)}) is required "
                        f"at {used_at} but has no {extension}: give it the dotted path of a "
                        f"function {_INFO_SIGNATURE[kind]} returning SecurityInfo or None",
                    )
                )
            return None
        if not isinstance(path, str) or not path.strip():
            self.problems.append(
                (where, f"{extension} must be a dotted path (module.function), not {path!r}")
            )
            return None
        try:
            target = import_dotted(path.strip())
        except Exception as exc:
            self.import_problems.append(
                (
                    where,
                    f"{extension} of security scheme {definition.name!r}: cannot import "
                    f"{path!r}: {type(exc).__name__}: {exc}",
                )
            )
            return None
        if not callable(target):
            self.import_problems.append(
                (
                    where,
                    f"{extension} of security scheme {definition.name!r}: {path!r} is a "
                    f"{type(target).__name__}, not a function",
                )
            )
            return None
        return cast("Callable[..., Any]", target)

    def connect_requirement(
        self, located: _Located, context: str
    ) -> tuple[tuple[_Scheme, tuple[str, ...]], ...] | None:
        requirement, location, pointer_tokens = located
        compiled: list[tuple[_Scheme, tuple[str, ...]]] = []
        complete = True
        for name, scopes in requirement.items():
            where = location.child(name) if pointer_tokens else location
            definition = self.check(name, tuple(scopes), where, context)
            scheme = None if definition is None else self.scheme(definition, where)
            if scheme is None:
                complete = False
            else:
                compiled.append((scheme, tuple(scopes)))
        return tuple(compiled) if complete else None

    def event_requirement(
        self,
        requirement: SecurityRequirement,
        where: SpecLocation,
        context: str,
        namespace: str,
        reachable: Mapping[str, _Scheme | None],
    ) -> tuple[_EventCheck, ...] | None:
        compiled: list[_EventCheck] = []
        complete = True
        for name, scopes in requirement.items():
            definition = self.check(name, tuple(scopes), where, context)
            if definition is None:
                complete = False
                continue
            if name in reachable and reachable[name] is None:
                complete = False  # the connect requirement naming it has its problems reported
                continue
            identity = _identity(definition)
            equivalents = tuple(
                sorted(
                    (
                        connect_name
                        for connect_name, scheme in reachable.items()
                        if scheme is not None and scheme.identity == identity
                    ),
                    key=lambda connect_name: connect_name != name,
                )
            )
            if not equivalents:
                self.problems.append(
                    (
                        where,
                        f"{context} requires security scheme {name!r}, but no connection to "
                        f"namespace {namespace!r} authenticates with it (or with a scheme of the "
                        "same type, credential and info function), so the event could never run: "
                        "add the scheme to the namespace's x-security or its server's security",
                    )
                )
                complete = False
                continue
            scope_check = self.scope_check(definition, where)
            if scope_check is None:
                complete = False
                continue
            compiled.append(_EventCheck(name, tuple(scopes), scope_check, equivalents))
        return tuple(compiled) if complete else None


def _picked_servers(api: Api, namespace: Namespace, server_name: str | None) -> Sequence[Server]:
    if server_name is not None:
        server = api.server(server_name)
        if server is None:
            declared = ", ".join(repr(s.name) for s in api.servers) or "none"
            raise SpecError.at(
                SpecLocation(api.source, "/servers"),
                f"server_name {server_name!r} names no server of the document "
                f"(servers: {declared})",
            )
        return (server,)
    if len(api.servers) <= 1:
        return api.servers
    declaring = [server for server in api.servers if server.security]
    if declaring:
        names = ", ".join(repr(server.name) for server in declaring)
        warnings.warn(
            f"{len(api.servers)} servers are declared and no server_name was given: namespace "
            f"{namespace.name!r} accepts the security requirements of any server that declares "
            f"some ({names}); pass server_name to apply one server's security",
            UserWarning,
            stacklevel=4,
        )
    return declaring


def _connect_requirements(
    api: Api, namespace: Namespace, server_name: str | None
) -> list[tuple[_Located, str]]:
    """The requirements a connection must meet, each with where it is written and a description."""
    # 3.0 writes security as lists of scheme objects, so scheme names are not pointer tokens there.
    pointer_tokens = not api.asyncapi_version.startswith("3")
    if namespace.security is not None:
        base = namespace.location.child("x-security")
        return [
            ((requirement, base.child(index), pointer_tokens), f"x-security requirement {index}")
            for index, requirement in enumerate(namespace.security)
        ]
    located: list[tuple[_Located, str]] = []
    seen: list[SecurityRequirement] = []
    for server in _picked_servers(api, namespace, server_name):
        base = server.location.child("security")
        for index, requirement in enumerate(server.security):
            if requirement in seen:
                continue
            seen.append(requirement)
            located.append(
                (
                    (requirement, base.child(index), pointer_tokens),
                    f"security requirement {index} of server {server.name!r}",
                )
            )
    return located


class ConnectSecurity:
    """The security of one namespace: who may connect, and who may send which event.

    Built once per namespace by :meth:`build`; :meth:`authenticate` and :meth:`authorize_event`
    are thread-safe and do a bounded amount of work per call.
    """

    __slots__ = ("_events", "_namespace", "_requirements")

    def __init__(
        self,
        namespace: str,
        requirements: tuple[tuple[tuple[_Scheme, tuple[str, ...]], ...], ...],
        events: Mapping[str, _EventRequirements],
    ) -> None:
        self._namespace = namespace
        self._requirements = requirements
        self._events = events

    @property
    def namespace(self) -> str:
        """The namespace this security guards."""
        return self._namespace

    @staticmethod
    def build(api: Api, namespace: Namespace, server_name: str | None) -> ConnectSecurity | None:
        """Connect-time security of one namespace; ``None`` when the namespace is public.

        Imports every info function now. Raises :class:`~asynction.exceptions.SpecError` listing,
        each at its spec location, every requirement that names an undefined scheme, a scheme
        asynction cannot check or scopes a scheme cannot have, every scheme in use without its info
        function, and every operation security no connection could meet; raises
        :class:`~asynction.exceptions.HandlerImportError` for info functions that do not import.
        Warns (``UserWarning``) when several servers are declared, some with security, and
        ``server_name`` picks none.
        """
        compiler = _Compiler(api)
        requirements: list[tuple[tuple[_Scheme, tuple[str, ...]], ...]] = []
        # Every scheme a connection may authenticate with (None: not usable, reported already).
        reachable: dict[str, _Scheme | None] = {}
        for located, context in _connect_requirements(api, namespace, server_name):
            compiled = compiler.connect_requirement(located, context)
            reachable.update(dict.fromkeys(located[0]))
            if compiled is not None:
                requirements.append(compiled)
                reachable.update((scheme.name, scheme) for scheme, _ in compiled)
        events: dict[str, _EventRequirements] = {}
        for event in namespace.incoming:
            compiled_event = _compile_event(compiler, event, namespace.name, reachable)
            if compiled_event:
                events[event.name] = compiled_event
        compiler.raise_problems()
        if not requirements:
            return None
        return ConnectSecurity(namespace.name, tuple(requirements), events)

    def authenticate(self, environ: Mapping[str, Any], auth: Any) -> SecurityInfo:
        """Check a connection attempt; the token info of the first requirement it meets.

        ``environ`` is the WSGI environ of the connect request, ``auth`` the Socket.IO v4 ``auth``
        payload (or ``None``). Raises :class:`~asynction.exceptions.SecurityException` with a
        client-safe message when no requirement is met.
        """
        request = _Request(environ, auth)
        attempts: dict[str, _Attempt] = {}
        refusal: str | None = None
        reasons: list[tuple[int, str, str]] = []
        for index, requirement in enumerate(self._requirements):
            credentials: list[_Credential | None] = []
            # Every credential first: no info function runs for a requirement that cannot pass.
            for scheme, _ in requirement:
                if scheme.name in attempts:
                    credentials.append(None)
                    if attempts[scheme.name].info is None:
                        reasons.append((index, scheme.name, "refused before"))
                        break
                    continue
                credential = scheme.extract(request)
                if credential is None:
                    attempts[scheme.name] = _REFUSED
                    reasons.append((index, scheme.name, "no credential"))
                    break
                credentials.append(credential)
            else:
                for (scheme, scopes), credential in zip(requirement, credentials, strict=True):
                    attempt = attempts.get(scheme.name)
                    if attempt is None:
                        attempt = scheme.verify(credential)
                        attempts[scheme.name] = attempt
                    if attempt.info is None:
                        refusal = refusal or attempt.message
                        reasons.append((index, scheme.name, "refused by its info function"))
                        break
                    if scopes and not scheme.scope_check(scopes, attempt.scopes):
                        reasons.append((index, scheme.name, "required scopes not granted"))
                        break
                else:
                    return _token_info(requirement, attempts)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "connection to namespace %r refused: %s",
                self._namespace,
                "; ".join(f"requirement {i}: {name!r} {why}" for i, name, why in reasons),
            )
        raise SecurityException(refusal or UNAUTHORIZED)

    def authorize_event(self, event: Event, token_info: SecurityInfo) -> None:
        """Check an incoming event's operation security against the connection's token info.

        Raises :class:`~asynction.exceptions.SecurityException` (``"forbidden: …"``) when no
        requirement of the operation is met. A token info that is not the :class:`TokenInfo`
        :meth:`authenticate` returned (a copy, say) is judged by its scopes alone.
        """
        requirements = self._events.get(event.name)
        if requirements is None:
            return
        schemes: frozenset[str] | None = getattr(token_info, "schemes", None)
        by_scheme: Mapping[str, tuple[str, ...]] | None = getattr(
            token_info, "scopes_by_scheme", None
        )
        all_scopes = _scopes_of(token_info) if by_scheme is None else ()
        denial: str | None = None
        for requirement in requirements:
            for check in requirement:
                if by_scheme is None or schemes is None:
                    granted = all_scopes
                else:
                    passed = next((name for name in check.equivalents if name in schemes), None)
                    if passed is None:
                        denial = denial or (
                            f"forbidden: event {event.name!r} requires authentication with "
                            f"{check.name!r}"
                        )
                        break
                    granted = by_scheme.get(passed, ())
                required = check.required
                if required and not check.scope_check(required, granted):
                    missing = [scope for scope in required if scope not in granted] or required
                    plural = "s" if len(missing) > 1 else ""
                    denial = denial or (
                        f"forbidden: missing scope{plural} "
                        + ", ".join(repr(scope) for scope in missing)
                        + f" for event {event.name!r}"
                    )
                    break
            else:
                return
        raise SecurityException(denial or "forbidden")


def _compile_event(
    compiler: _Compiler, event: Event, namespace: str, reachable: Mapping[str, _Scheme | None]
) -> _EventRequirements:
    if not event.security:
        return ()
    compiled: list[tuple[_EventCheck, ...]] = []
    for index, requirement in enumerate(event.security):
        context = f"operation security requirement {index} of incoming event {event.name!r}"
        one = compiler.event_requirement(requirement, event.location, context, namespace, reachable)
        if one is not None:
            compiled.append(one)
    return tuple(compiled)


def _token_info(
    requirement: tuple[tuple[_Scheme, tuple[str, ...]], ...], attempts: Mapping[str, _Attempt]
) -> SecurityInfo:
    info = TokenInfo()
    scopes_by_scheme: dict[str, tuple[str, ...]] = {}
    for scheme, _ in requirement:
        attempt = attempts[scheme.name]
        for key, value in cast(Mapping[str, Any], attempt.info).items():
            info.setdefault(key, value)
        scopes_by_scheme[scheme.name] = attempt.scopes
    info.schemes = frozenset(scopes_by_scheme)
    info.scopes_by_scheme = scopes_by_scheme
    return cast(SecurityInfo, info)
