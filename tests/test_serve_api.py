"""`espolicy serve` over HTTP, started for real on a loopback port, used with httpx as an
integrator would: decisions, errors, the batch stream, the policy, health, metrics, OpenAPI."""
from __future__ import annotations

import json
import re
import socket

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import espolicy
from serving import REPO, Server

EXAMPLES = REPO / "examples"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@pytest.fixture(scope="module")
def server():
    with Server("--max-body", "65536") as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def _json_text(name: str) -> str:
    """An example as JSON (dates and datetimes in ISO 8601, as an integrator sends them)."""
    return json.dumps(yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8")), default=lambda v: v.isoformat())


def test_a_yaml_registration_gets_the_same_decision_as_the_library(client):
    text = (EXAMPLES / "registration-mixed-generations.yaml").read_text(encoding="utf-8")
    r = client.post("/v1/validate", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200
    body = r.json()
    expected = espolicy.validate(yaml.safe_load(text)).to_dict()
    assert body["outcome"] == expected["outcome"] == "deny"
    assert [f["rule"] for f in body["findings"]] == [f["rule"] for f in expected["findings"]]
    assert body["facts"] == json.loads(json.dumps(expected["facts"], default=str))
    assert body["policy"] == espolicy.default_policy().info()
    assert r.headers["X-Policy-Digest"] == body["policy"]["digest"]
    assert DIGEST.fullmatch(r.headers["X-Policy-Digest"])
    finding = body["findings"][0]
    assert (finding["path"], finding["line"], finding["column"]) == ("/history/0/generation", 17, 5)
    assert set(body["questions"]) == {"Q10", "Q11"}
    assert body["questions"]["Q10"]["ja"].startswith("既にExpressSupportPackで登録")


def test_json_with_lang_keeps_one_language_and_the_request_id_is_echoed(client):
    r = client.post("/v1/validate?lang=ja", content=_json_text("registration-mixed-generations.yaml"),
                    headers={"Content-Type": "application/json", "X-Request-Id": "desk-42"})
    assert r.status_code == 200
    body = r.json()
    assert r.headers["X-Request-Id"] == body["request_id"] == "desk-42"
    assert set(body["findings"][0]["message"]) == {"ja"} and "混在" in body["findings"][0]["message"]["ja"]
    assert set(body["findings"][0]["advice"]) == {"ja"}
    assert set(body["questions"]["Q10"]) == {"ja"}


def test_explain_adds_the_tree_that_agrees_with_the_decision(client):
    r = client.post("/v1/validate?explain=1", content=_json_text("service-saturday.yaml"),
                    headers={"Content-Type": "application/json"})
    body = r.json()
    assert body["explain"]["outcome"] == body["outcome"]
    fired = {rule["rule"] for rule in body["explain"]["rules"] if rule["fired"]}
    assert fired == {f["rule"] for f in body["findings"]}
    assert any(v["name"] == "covered_now" for v in body["explain"]["values"])


def test_an_invalid_document_is_a_decision_not_an_error(client):
    r = client.post("/v1/validate", content=(EXAMPLES / "registration-typo.yaml").read_bytes(),
                    headers={"Content-Type": "application/x-yaml"})
    assert r.status_code == 200
    body = r.json()
    assert body["outcome"] == "invalid"
    assert any(f["effect"] == "error" and f.get("line") for f in body["findings"])
    r = client.post("/v1/validate", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["outcome"] == "invalid"


@pytest.mark.parametrize("content, media, status, code, line, column", [
    (b'{"kind": "registration",\n  "id": ,}', "application/json", 400, "parse-error", 2, 9),
    (b"kind: registration\nid: [x\n", "application/yaml", 400, "parse-error", 3, 1),
    (b'{"a": 1, "a": 2}', "application/json", 400, "duplicate-key", 1, 10),
    (b"kind: registration\nid: \xff\xfe\n", "application/yaml", 400, "not-utf8", 2, 5),
    (b"", "application/json", 400, "empty-body", None, None),
    (b"a: 1\n---\nb: 2\n", "application/yaml", 400, "several-documents", 2, 1),
    (b'{"kind": "registration"}', "text/plain", 415, "unsupported-media-type", None, None),
    (b'{"kind": "registration"}', None, 415, "unsupported-media-type", None, None),
    (b'{"kind": "registration"}', "application/json; charset=latin-1", 415, "unsupported-charset", None, None),
])
def test_bad_requests_get_a_json_error_naming_the_place(client, content, media, status, code, line, column):
    headers = {"Content-Type": media} if media else {}
    r = client.post("/v1/validate", content=content, headers=headers)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["status"] == status
    assert error["help"] and error["message"] and not error["message"].endswith(".")
    assert error.get("line") == line and error.get("column") == column
    assert DIGEST.fullmatch(r.headers["X-Policy-Digest"])


def test_too_big_is_413_whether_declared_or_streamed(client):
    big = b'{"kind": "registration", "id": "' + b"x" * 70_000 + b'"}'
    r = client.post("/v1/validate", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large"

    def chunks():  # no Content-Length: the server counts as it reads
        for _ in range(20):
            yield b" " * 8192
    r = client.post("/v1/validate", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_echo_returns_the_document_even_with_numbers_beyond_64_bits(client):
    doc = {"kind": "registration", "id": "REG-1", "serial": 2 ** 70, "ratio": 0.5, "名前": "テスト"}
    r = client.post("/v1/echo", content=json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["document"] == doc
    r = client.post("/v1/validate", content=json.dumps(doc), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["outcome"] == "invalid"


def test_a_client_leaving_mid_body_does_not_stop_the_server(server, client):
    host, port = server.url.split("//")[1].split(":")
    for path in ("/v1/validate", "/v1/echo"):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 5000\r\n\r\n{{\"kind\": ".encode())
        sock.close()
    r = client.post("/v1/validate", content=_json_text("registration-ok.yaml"), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["outcome"] == "allow"
    assert "Traceback" not in server.log


def test_batch_streams_one_result_per_line_and_a_broken_line_is_invalid(client):
    good = (EXAMPLES / "service-batch.jsonl").read_bytes().splitlines()
    lines = [good[0], b"", b'{"kind": "service_request", ', b"\xff\xfe", good[1], b"[]", b"x" * 70_000, good[2]]
    r = client.post("/v1/validate/batch", content=b"\n".join(lines),
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    results = [json.loads(line) for line in r.text.splitlines()]
    assert [x["source"] for x in results] == ["body:1", "body:3", "body:4", "body:5", "body:6", "body:7", "body:8"]
    outcomes = [x["outcome"] for x in results]
    assert outcomes[1:3] == ["invalid", "invalid"] and outcomes[4:6] == ["invalid", "invalid"]
    assert [x["findings"][0]["rule"] for x in results[1:3]] == ["parse-error", "unreadable-file"]
    assert results[5]["findings"][0]["rule"] == "too-large"
    expected = [espolicy.validate(json.loads(good[i])).outcome for i in range(3)]
    assert [outcomes[0], outcomes[3], outcomes[6]] == expected


def test_batch_needs_json_lines(client):
    r = client.post("/v1/validate/batch", content=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415 and "application/x-ndjson" in r.json()["error"]["help"]


def test_policy_and_schemas(client):
    p = client.get("/v1/policy").json()
    policy = espolicy.default_policy()
    assert (p["name"], p["digest"]) == (policy.name, policy.digest)
    assert [r["id"] for r in p["rules"]] == [r.id for r in policy.rules]
    assert "mixed-generations" in p["references"]["Q10"]["rules"]
    assert p["references"]["Q6"]["question"]["en"].startswith("Is there a way to get support for 6 years")
    for kind, url in p["schemas"].items():
        schema = client.get(url)
        assert schema.status_code == 200
        assert schema.json() == json.loads((REPO / "schemas" / f"{kind}.json").read_text(encoding="utf-8"))
    r = client.get("/v1/schemas/registraton")
    assert r.status_code == 404 and "registration" in r.json()["error"]["help"]


def test_health_readiness_and_unknown_routes(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["policy"]["digest"] == espolicy.default_policy().digest
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not-found"
    for path in ("/v1/validate", "/v1/echo"):   # served before Starlette's routing, yet routed for other methods
        r = client.get(path)
        assert r.status_code == 405 and r.json()["error"]["code"] == "method-not-allowed"


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_decisions_by_kind_outcome_and_rule(client):
    before = client.get("/metrics").text
    for _ in range(3):
        client.post("/v1/validate", content=_json_text("registration-mixed-generations.yaml"),
                    headers={"Content-Type": "application/json"})
    after = client.get("/metrics").text
    assert _metric(after, "espolicy_decisions_total", kind="registration", outcome="deny") - \
        _metric(before, "espolicy_decisions_total", kind="registration", outcome="deny") == 3
    assert _metric(after, "espolicy_findings_total", rule="mixed-generations") - \
        _metric(before, "espolicy_findings_total", rule="mixed-generations") == 3
    assert _metric(after, "espolicy_decision_seconds_count", endpoint="validate") >= 3
    assert _metric(after, "espolicy_policy_info", digest=espolicy.default_policy().digest) == 1
    assert _metric(after, "espolicy_decision_log_dropped_total") == 0


def test_openapi_is_valid_3_1_and_embeds_the_schemas(client):
    from openapi_spec_validator import validate
    doc = client.get("/openapi.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    for kind in ("registration", "change_request", "service_request"):
        original = json.loads((REPO / "schemas" / f"{kind}.json").read_text(encoding="utf-8"))
        text = json.dumps(doc["components"]["schemas"][kind]).replace(f"#/components/schemas/{kind}/", "#/")
        assert {**json.loads(text), "$id": original["$id"], "$schema": original["$schema"]} == original


def test_responses_match_the_openapi_schemas(client):
    import jsonschema
    doc = client.get("/openapi.json").json()

    def check(value: object, name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        jsonschema.Draft202012Validator(schema).validate(value)
    r = client.post("/v1/validate", content=_json_text("registration-ok.yaml"),
                    headers={"Content-Type": "application/json"})
    check(r.json(), "Decision")
    check(client.post("/v1/validate", content=b"{", headers={"Content-Type": "application/json"}).json(), "Error")
    check(client.get("/v1/policy").json(), "Policy")
    for name in ("registration-ok.yaml", "change-term.yaml", "service-saturday.yaml"):
        check(json.loads(_json_text(name)), "Document")
    with pytest.raises(jsonschema.ValidationError):   # the typo that the service calls invalid
        check(json.loads(_json_text("registration-typo.yaml")), "Document")


_MEDIA = st.sampled_from(["application/json", "application/yaml", "text/yaml", "application/x-ndjson",
                          "text/plain", "", "application/json; charset=utf-8", "application/merge-patch+json"])
_BODIES = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                 max_leaves=20).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda d, k: json.dumps({**d, "kind": k}).encode(),
              st.dictionaries(st.sampled_from(["id", "pack", "server", "registration_date", "history"]),
                              st.integers() | st.text(max_size=12) | st.dictionaries(st.text(max_size=8),
                                                                                      st.integers(), max_size=3)),
              st.sampled_from(["registration", "change_request", "service_request", "other"])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=_BODIES, media=_MEDIA, path=st.sampled_from(["/v1/validate", "/v1/validate/batch", "/v1/echo",
                                                          "/v1/validate?explain=1&lang=ja"]))
def test_arbitrary_bodies_never_get_a_500(client, body, media, path):
    r = client.post(path, content=body, headers={"Content-Type": media} if media else {})
    assert r.status_code in (200, 400, 413, 415), r.text
    if r.status_code == 200 and path.startswith("/v1/validate") and "batch" not in path:
        assert r.json()["outcome"] in ("allow", "deny", "review", "invalid")
    elif r.status_code != 200:
        assert set(r.json()["error"]) >= {"status", "code", "message", "help"}
    assert DIGEST.fullmatch(r.headers["X-Policy-Digest"])
