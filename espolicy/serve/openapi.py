"""The OpenAPI 3.1 description of the service, with the policy's JSON Schemas embedded as they
are (OpenAPI 3.1 schemas are JSON Schema 2020-12, the dialect of `schemas/`)."""
from __future__ import annotations

import copy
from typing import Any, Mapping

from espolicy import __version__

_TEXT = {"type": "object", "properties": {"en": {"type": "string"}, "ja": {"type": "string"}},
         "additionalProperties": {"type": "string"}}

_FINDING = {
    "type": "object", "required": ["rule", "effect", "faq", "message", "advice", "path"],
    "properties": {
        "rule": {"type": "string"}, "effect": {"enum": ["deny", "review", "warn", "info", "error"]},
        "faq": {"type": "array", "items": {"type": "string", "pattern": "^Q[0-9]+$"}},
        "message": {"$ref": "#/components/schemas/Text"},
        "advice": {"oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "null"}]},
        "path": {"type": "string", "description": "JSON Pointer to the field that caused the finding"},
        "line": {"type": "integer"}, "column": {"type": "integer"},
    },
}

_POLICY_INFO = {"type": "object", "required": ["name", "digest"],
                "properties": {"name": {"type": "string"}, "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}}}

_RESULT = {
    "type": "object", "required": ["source", "id", "kind", "outcome", "findings", "facts"],
    "properties": {
        "source": {"type": ["string", "null"]}, "id": {"type": ["string", "null"]}, "kind": {"type": ["string", "null"]},
        "outcome": {"enum": ["allow", "deny", "review", "invalid"]},
        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
        "facts": {"type": "object"},
        "questions": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Text"},
                      "description": "the text of each FAQ question the findings cite (`Q10`: {en, ja})"},
    },
}

_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {
        "error": {"type": "object", "required": ["status", "code", "message", "help"], "properties": {
            "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"},
            "help": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"}}},
        "policy": {"$ref": "#/components/schemas/PolicyInfo"},
    },
}

_HEADERS = {
    "X-Policy-Digest": {"description": "digest of the policy that answered", "schema": {"type": "string"}},
    "X-Request-Id": {"description": "the request's id (the client's X-Request-Id when it sent one)",
                     "schema": {"type": "string"}},
}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "headers": _HEADERS,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "the body cannot be read as a document (the error names line and column)",
             413: "the body (or, for a batch, one line) is too large", 415: "unsupported Content-Type",
             404: "no such kind"}
    return {str(s): _json("Error", words[s]) for s in statuses}


def _lang_param() -> dict[str, Any]:
    return {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["en", "ja"]},
            "description": "keep only this language in messages and advice (default: both)"}


def embedded(kind: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """A kind's schema as a component: its own `#/$defs/…` references made absolute within the
    OpenAPI document (`#/components/schemas/KIND/$defs/…`), and `$id` and `$schema` left to the
    document (its `jsonSchemaDialect` is 2020-12)."""
    prefix = f"#/components/schemas/{kind}/"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k not in ("$id", "$schema")}
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                out["$ref"] = prefix + ref[2:]
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    out: dict[str, Any] = walk(copy.deepcopy(dict(schema)))
    return out


def document(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a policy whose kinds have these JSON Schemas."""
    kinds = sorted(schemas)
    components: dict[str, Any] = {kind: embedded(kind, schemas[kind]) for kind in kinds}
    components.update({
        "Document": {"oneOf": [{"$ref": f"#/components/schemas/{k}"} for k in kinds],
                     "description": "one document; its `kind` says which schema applies"},
        "Text": _TEXT, "Finding": _FINDING, "Result": _RESULT, "PolicyInfo": _POLICY_INFO, "Error": _ERROR,
        "Decision": {"allOf": [{"$ref": "#/components/schemas/Result"}, {
            "type": "object", "required": ["policy", "request_id"],
            "properties": {"policy": {"$ref": "#/components/schemas/PolicyInfo"}, "request_id": {"type": "string"},
                           "explain": {"type": "object", "description": "the explain tree (with ?explain=1)"}}}]},
        "Policy": {"type": "object", "required": ["name", "digest", "rules", "kinds"], "properties": {
            "name": {"type": "string"}, "digest": {"type": "string"},
            "kinds": {"type": "array", "items": {"type": "string"}},
            "rules": {"type": "array", "items": {"type": "object"}},
            "references": {"type": "object", "description": "the FAQ questions the rules cite"},
            "schemas": {"type": "object", "additionalProperties": {"type": "string", "format": "uri-reference"}}}},
    })
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}},
            "application/yaml": {"schema": {"$ref": "#/components/schemas/Document"}}}
    validate = {
        "summary": "Judge one document", "operationId": "validate",
        "parameters": [_lang_param(), {"name": "explain", "in": "query", "required": False,
                                       "schema": {"enum": ["0", "1"]}, "description": "1 adds the explain tree"}],
        "requestBody": {"required": True, "content": body},
        "responses": {"200": _json("Decision", "the decision (an invalid document is a decision too)"),
                      **_errors(400, 413, 415)},
    }
    batch = {
        "summary": "Judge JSON Lines, streaming one result per line", "operationId": "validateBatch",
        "parameters": [_lang_param()],
        "requestBody": {"required": True, "content": {"application/x-ndjson": {
            "schema": {"type": "string", "description": "one JSON document per line"}}}},
        "responses": {"200": {"description": "one JSON result per non-blank input line, in order "
                                             "(a line that cannot be read is an `invalid` result)",
                              "headers": _HEADERS,
                              "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Result"}}}},
                      **_errors(415)},
    }

    def simple(summary: str, op: str, ref: str | None = None, content: str = "application/json") -> dict[str, Any]:
        schema = {"$ref": f"#/components/schemas/{ref}"} if ref else {"type": "object"}
        return {"get": {"summary": summary, "operationId": op, "responses": {
            "200": {"description": summary, "content": {content: {"schema": schema}}}}}}

    paths: dict[str, Any] = {
        "/v1/validate": {"post": validate},
        "/v1/validate/batch": {"post": batch},
        "/v1/policy": simple("The policy: name, digest, rules, FAQ references, schemas", "policy", "Policy"),
        "/v1/schemas/{kind}": {"get": {
            "summary": "The JSON Schema of one kind", "operationId": "schema",
            "parameters": [{"name": "kind", "in": "path", "required": True, "schema": {"enum": kinds}}],
            "responses": {"200": {"description": "the schema", "content": {"application/schema+json": {
                "schema": {"type": "object"}}}}, **_errors(404)}}},
        "/healthz": simple("The process is alive", "healthz"),
        "/readyz": simple("A policy is loaded and serving (and the last reload's error, if any)", "readyz"),
        "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics", "responses": {
            "200": {"description": "text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "espolicy decision service", "version": __version__,
                 "description": "Judges NEC ExpressSupportPack G2 documents against the support rules."},
        "paths": paths,
        "components": {"schemas": components},
    }
