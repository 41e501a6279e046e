"""Trusted documents (AGENTGRAPH_TRUSTED_DOCUMENTS): when a manifest is configured, only the
documents it lists run, on every transport.

The manifest is the JSON object graphql-codegen's persisted documents and Relay's persisted
queries emit: the sha256 (hex) of each document → the document. A request names its document by
``documentId`` (``sha256:<hash>`` or the bare hash, as in the GraphQL-over-HTTP persisted
documents proposal) or by ``extensions.persistedQuery.sha256Hash`` (Apollo's shape); a request
that sends the text of a listed document runs too. Anything else is refused:
- an id the manifest does not hold: PERSISTED_QUERY_NOT_FOUND;
- a document it does not list (or no document at all): TRUSTED_DOCUMENT_REQUIRED.

Each transport swaps the id for the document before anything else reads the request (HTTP in
``gql/http_requests.py``, both WebSocket protocols in their handlers); the schema refuses an
unlisted text again on its way in (``gql/schema.py``), so a transport cannot skip the check.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, parse

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
TRUSTED_DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BadManifest(Exception):
    """The manifest cannot be used; the message says why, in one line."""


def not_listed() -> GraphQLError:
    """The error for a document the manifest does not list."""
    return GraphQLError(
        "Only trusted documents run on this server: send the documentId of a document in its"
        " manifest.",
        extensions={"code": TRUSTED_DOCUMENT_REQUIRED},
    )


class DocumentRefused(Exception):
    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class TrustedDocuments:
    by_hash: Mapping[str, str]
    texts: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        """The manifest at ``path``; BadManifest when it cannot be read or used."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BadManifest(f"{path}: cannot be read ({type(error).__name__})") from error
        try:
            return cls.parse(text)
        except BadManifest as error:
            raise BadManifest(f"{path}: {error}") from error

    @classmethod
    def parse(cls, text: str) -> TrustedDocuments:
        try:
            manifest = json.loads(text)
        except ValueError as error:
            raise BadManifest(f"not JSON ({error})") from error
        if not isinstance(manifest, dict) or not manifest:
            raise BadManifest("must be a JSON object of sha256 → document, with one entry at least")
        by_hash: dict[str, str] = {}
        for key, document in manifest.items():
            digest = key.lower().removeprefix("sha256:")
            if not _SHA256.fullmatch(digest):
                raise BadManifest(f"{key[:80]!r} is not a sha256 hash (64 hex digits)")
            if not isinstance(document, str):
                raise BadManifest(f"the document of {digest[:12]}… is not a string")
            if hashlib.sha256(document.encode()).hexdigest() != digest:
                raise BadManifest(f"{digest[:12]}… is not the sha256 of its document")
            try:
                parse(document)
            except GraphQLSyntaxError as error:
                raise BadManifest(f"the document of {digest[:12]}… does not parse") from error
            by_hash[digest] = document
        return cls(by_hash, frozenset(by_hash.values()))

    def lists(self, query: Any) -> bool:
        return isinstance(query, str) and query in self.texts

    def resolve(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """``request`` with the document its id names as ``query`` (and the id dropped);
        DocumentRefused when it names none the manifest holds, or sends an unlisted one."""
        resolved = dict(request)
        digest = _named_hash(resolved)
        if digest is None:
            if not self.lists(resolved.get("query")):
                raise DocumentRefused(not_listed())
            return resolved
        document = self.by_hash.get(digest.lower().removeprefix("sha256:"))
        if document is None:
            raise DocumentRefused(
                GraphQLError(
                    "No trusted document has this id.",
                    extensions={"code": PERSISTED_QUERY_NOT_FOUND},
                )
            )
        query = resolved.get("query")
        if query is not None and query != document:
            raise DocumentRefused(not_listed())
        resolved["query"] = document
        return resolved


def _named_hash(request: dict[str, Any]) -> str | None:
    """The document id a request names, removed from it (None when it names none)."""
    document_id = request.pop("documentId", None)
    extensions = request.get("extensions")
    persisted = None
    if isinstance(extensions, dict) and "persistedQuery" in extensions:
        rest = dict(extensions)
        persisted = rest.pop("persistedQuery")
        if rest:
            request["extensions"] = rest
        else:
            request.pop("extensions")
    if document_id is not None:
        return str(document_id)
    if isinstance(persisted, dict) and persisted.get("sha256Hash") is not None:
        return str(persisted["sha256Hash"])
    return None
