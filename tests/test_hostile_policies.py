"""Hostile rule files: deep nesting, huge literals, strings holding Python or quotes, names
that look like Python internals. Each gives a `PolicyError` or a rule that works, in bounded time,
and no text from a policy is ever executed.

The last tests scan the Python the compiler generates (for the bundled policy and for the hostile
ones here) with `ast`: every string a policy supplies appears there only as a string constant, every
name is a prefixed policy name or one of a few fixed internal names, and the only attributes used
are `.get` and `.append`.
"""
from __future__ import annotations

import ast as pyast
import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pytest

import espolicy
from espolicy.lang import ast
from espolicy.lang.compile import constant_sources, program_sources
from espolicy.errors import PolicyError
from espolicy.engine.policy import Policy
from espolicy.sources import read_sources, bundled_dir
from espolicy.limits import MAX_EXPRESSION_DEPTH
from espolicy.documents.schema import SchemaSet

T = TypeVar("T")
SECONDS = 5.0
SCHEMAS = SchemaSet.load(bundled_dir("schemas"))


@pytest.fixture(autouse=True, scope="module")
def no_policy_cache() -> Iterator[None]:
    """The policies built here are thrown away: keep them out of the compiled-policy cache (and make
    every one go through the parser and checker)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESPOLICY_CACHE_DIR", "off")
        yield

REGISTRATION = {
    "kind": "registration", "id": "REG-H-1", "registration_date": "2026-04-10",
    "server": {"model": "Express5800/R120h-1M", "serial": "4300123", "warranty_start": "2026-03-16",
               "warranty_years": 1},
    "pack": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "purchase_date": "2026-03-16"},
    "history": [{"generation": "ESP", "term_years": 3, "registered_on": "2021-05-01"}],
}


def timed(action: Callable[[], T], seconds: float = SECONDS) -> T:
    """The result of `action`, failing when it uses more than `seconds` of this process's CPU time
    (not the wall clock, which other work on a loaded machine stretches)."""
    started = time.process_time()
    result = action()
    elapsed = time.process_time() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s of CPU time (bound {seconds} s)"
    return result


def build(*texts: str) -> Policy:
    return Policy([(f"h{i}.esp", t) for i, t in enumerate(texts)], schemas=SCHEMAS)


def outcome_of(text: str, seconds: float = SECONDS) -> Policy | PolicyError:
    """The policy a rule file compiles to, or its PolicyError; never another exception, never slow."""
    def attempt() -> Policy | PolicyError:
        try:
            return build(text)
        except PolicyError as e:
            return e
    return timed(attempt, seconds)


def error_code(text: str) -> str:
    result = outcome_of(text)
    assert isinstance(result, PolicyError), "expected a PolicyError"
    assert result.line is not None and result.file == "h0.esp"
    return result.diagnostics[0].code


def rule(condition: str, message: str = "fired", effect: str = "deny", kind: str = "registration",
         extra: str = "") -> str:
    return (f"rule hostile {{\n  for {kind}\n{extra}  {effect} when {condition}\n  faq none\n"
            f"  message en {json.dumps(message, ensure_ascii=False)}\n  message ja \"ja\"\n}}\n")


def lit(text: str) -> str:
    """`text` as the literal part of a message (`{expr}` interpolates, so braces are doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def fires(policy: Policy, doc: dict[str, Any] = REGISTRATION) -> list[str]:
    report = policy.validate(doc)
    assert report.outcome != "invalid", report.to_dict()
    return [f.message["en"] for f in report.findings if f.rule == "hostile"]


# ---------------------------------------------------------------- nesting

def test_five_thousand_nested_parentheses_are_one_working_rule() -> None:
    policy = outcome_of(rule("(" * 5000 + "pack.term_years == 3" + ")" * 5000))
    assert isinstance(policy, Policy)
    assert fires(policy) == ["fired"]


@pytest.mark.parametrize("op, last", [("and", "true"), ("or", "pack.term_years == 3")])
def test_ten_thousand_ands_and_ors_are_one_working_rule(op: str, last: str) -> None:
    first = "pack.term_years > 0" if op == "and" else "pack.term_years == 4"
    policy = outcome_of(rule(f" {op} ".join([first] * 10_000 + [last])), seconds=20)
    assert isinstance(policy, Policy)
    assert fires(policy) == ["fired"]


NESTERS: dict[str, Callable[[int], str]] = {
    "not": lambda n: "not " * (n - 1) + "true" if n % 2 else "not " * (n - 2) + "not false",
    "neg": lambda n: "-" * (n - 2) + "1 != 0",
    "if": lambda n: "if true then " * (n - 1) + "true" + " else false" * (n - 1),
    "else-if": lambda n: "if false then false else " * (n - 1) + "true",
    "sum": lambda n: "1" + " + 1" * (n - 2) + " > 0",
    "parenthesised-sum": lambda n: "(" * (n - 2) + "1" + " + 1)" * (n - 2) + " > 0",
    "list": lambda n: "count(" + "[" * (n - 3) + "1" + "]" * (n - 3) + ") > 0",
    "set": lambda n: "count([" + "{" * (n - 4) + "1" + "}" * (n - 4) + "]) > 0",
    "any": lambda n: "".join(f"any h{i} in history: " for i in range(n - 1)) + "true",
}


@pytest.mark.parametrize("name", NESTERS)
def test_nesting_up_to_the_limit_works_and_beyond_it_is_a_policy_error(name: str) -> None:
    at_limit = outcome_of(rule(NESTERS[name](MAX_EXPRESSION_DEPTH)))
    assert isinstance(at_limit, Policy), at_limit
    at_limit.validate(REGISTRATION)
    for depth in (MAX_EXPRESSION_DEPTH + 1, 300, 5000):
        assert error_code(rule(NESTERS[name](depth))) == "too-deep"


def test_nesting_inside_a_message_interpolation_is_bounded() -> None:
    deep = "{" + "not " * 5000 + "true}"
    result = outcome_of(rule("true").replace('message en "fired"', f'message en "x {deep} y"'))
    assert isinstance(result, PolicyError) and result.diagnostics[0].code == "too-deep"
    assert result.line == 5


def test_deep_nesting_error_points_at_the_expression() -> None:
    result = outcome_of(rule("not " * 100 + "true"))
    assert isinstance(result, PolicyError)
    assert (result.line, result.diagnostics[0].code) == (3, "too-deep")
    assert "nested more than 64 levels" in str(result)


# ---------------------------------------------------------------- literals

def test_huge_integer_literals_are_policy_errors() -> None:
    assert error_code(rule("pack.term_years < " + "9" * 10_000)) == "bad-literal"
    assert error_code("const BIG = " + "1" * 19 + "\n") == "bad-literal"
    policy = outcome_of("const MOST = 999999999999999999\n" + rule("pack.term_years < MOST"))
    assert isinstance(policy, Policy) and fires(policy) == ["fired"]


def test_constants_multiplied_in_a_chain_are_refused_quickly() -> None:
    chain = "const A0 = 999999999999999999\n" + "".join(f"const A{i} = A{i - 1} * A{i - 1}\n" for i in range(1, 40))
    result = outcome_of(chain + rule("true"))
    assert isinstance(result, PolicyError) and result.diagnostics[0].code == "bad-constant"
    assert "too large" in str(result)


@pytest.mark.parametrize("const, words", [
    ("const D = add_days(2026-01-01, 999999999999999999)", "cannot be computed"),
    ("const D = last_day(2026-01-01, -1)", "years must be >= 0"),
    ("const D = last_day(9999-06-01, 5)", "ends after year 9999"),
    ("const D = add_days(9999-12-31, 1)", "cannot be computed"),
])
def test_constants_that_cannot_be_computed_are_policy_errors(const: str, words: str) -> None:
    result = outcome_of(const + "\n" + rule("true"))
    assert isinstance(result, PolicyError), result
    assert (result.diagnostics[0].code, result.line) == ("bad-constant", 1)
    assert words in str(result)


def test_a_megabyte_string_literal_is_a_working_rule() -> None:
    big = "x" * 1_000_000
    policy = outcome_of(f"const BIG = {json.dumps(big)}\n" + rule("server.model != BIG", message=big[:100_000]))
    assert isinstance(policy, Policy)
    assert fires(policy) == ["x" * 100_000]


# ---------------------------------------------------------------- strings holding code

EVIL_STRINGS = [
    "__import__('os').system('touch {marker}')",
    "'); __import__('os').system('touch {marker}'); ('",
    '"); __import__("os").system("touch {marker}"); ("',
    "\"\"\"'''\\\" \\' \\\\",
    "\\'; import os; os.system('touch {marker}') #",
    "{{}} {{0}} %s %(x)s {marker!r}",
    "\n\r\t\x00\x0b\u2028\u2029\ufeff",
    "lambda: exec('import os')",
    "ハックです'\"",
]


@pytest.mark.parametrize("evil", EVIL_STRINGS)
def test_strings_holding_python_or_quotes_stay_text(tmp_path: Path, evil: str) -> None:
    marker = tmp_path / "pwned"
    evil = evil.replace("{marker}", str(marker))
    text = (f"const EVIL = {json.dumps(evil)}\n"
            f"table T {{\n  code = {json.dumps(evil)}\n}}\n"
            f"let echo for registration = if server.model == {json.dumps(evil)} then 1 else 2\n"
            + rule(f"server.model != {json.dumps(evil)} and EVIL != \"\" and echo == 2",
                   message=lit(evil) + " | {EVIL} | {T.code}"))
    policy = outcome_of(text)
    assert isinstance(policy, Policy), policy
    messages = fires(policy)
    assert messages == [f"{evil} | {evil} | {evil}"]
    assert not marker.exists()


def test_a_policy_name_with_quotes_is_reported_as_written() -> None:
    name = "x\"); import os; os.system('true'); (\""
    policy = outcome_of(f"policy {json.dumps(name)}\n" + rule("true"))
    assert isinstance(policy, Policy) and policy.name == name
    assert policy.info()["name"] == name


# ---------------------------------------------------------------- names that look like Python

PYTHON_NAMES = ["__import__", "__class__", "__builtins__", "__globals__", "exec", "eval", "open", "None",
                "True", "lambda", "import", "self", "d", "V", "fired", "run", "_date", "_render", "EFFECTS", "BITS", "b_", "_decision",
                "B_last_day", "c_MAX", "v_x", "l_y", "o_outcome", "render_0", "i_", "_unused", "any", "str",
                "t_today", "_lookup", "A_count", "_render_en"]


ROLES: dict[str, Callable[[str], tuple[str, str]]] = {   # rule file, the message the rule gives
    "const": lambda n: (f"const {n} = 3\n" + rule(f"{n} == 3", message="{" + n + "}"), "3"),
    "table": lambda n: (f"table {n} {{\n  {n} = \"entry\"\n}}\n" + rule(f"{n}.{n} == \"entry\"",
                                                                        message="{" + n + "." + n + "}"), "entry"),
    "let": lambda n: (f"let {n} for registration = pack.term_years + 1\n" + rule(f"{n} == 4", message="{" + n + "}"),
                      "4"),
    "fact": lambda n: (f"fact {n} for registration = pack.term_years\n" + rule(f"{n} == 3", message="{" + n + "}"),
                       "3"),
    "each": lambda n: (rule(f"{n}.term_years == 3", message="{" + n + ".generation}", extra=f"  each {n} in history\n"),
                       "ESP"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PYTHON_NAMES)
def test_python_looking_names_are_plain_policy_names(name: str, role: str) -> None:
    """As a constant, a table and its key, a let, a fact or an `each` variable, a name like
    `__import__` or `fired` is a policy name like any other (or the grammar refuses a keyword):
    never one of Python's or of the generated code's."""
    text, message = ROLES[role](name)
    result = outcome_of(text)
    if isinstance(result, PolicyError):
        assert name in ("any", "all") and result.diagnostics[0].code == "syntax", str(result)
        return
    report = result.validate(REGISTRATION)
    assert [f.message["en"] for f in report.findings if f.rule == "hostile"] == [message], report.to_dict()
    if role == "fact":
        assert report.facts[name] == 3


@pytest.mark.parametrize("call", ["exec(\"1\")", "eval(\"1\")", "__import__(\"os\")", "getattr(pack, \"x\")",
                                  "open(\"/etc/passwd\")", "compile(\"1\", \"f\", \"exec\")", "globals()",
                                  "B_last_day(server.warranty_start, 1)", "_render(1)", "print(1)"])
def test_calls_to_python_functions_are_unknown_functions(call: str) -> None:
    assert error_code(rule(f"{call} == 1")) == "unknown-function"


@pytest.mark.parametrize("path", ["pack.__class__", "pack.__dict__", "server.__init__", "pack.get",
                                  "history.__len__", "pack.items", "registration_date.year"])
def test_python_attributes_are_unknown_fields(path: str) -> None:
    code = error_code(rule(f"{path} == 1"))
    assert code in {"unknown-field", "type", "not-a-record"}, code


@pytest.mark.parametrize("name", ["__import__", "__builtins__", "exec", "d", "fired"])
def test_unknown_bare_names_are_policy_errors(name: str) -> None:
    assert error_code(rule(f"{name} == 1")) == "unknown-name"


def test_hostile_kind_names_are_policy_errors() -> None:
    assert error_code(rule("true", kind="__import__")) in {"unknown-kind", "syntax"}


# ---------------------------------------------------------------- size

def test_a_thousand_rules_compile_in_bounded_time() -> None:
    text = "".join(rule(f"pack.term_years == {i % 11}").replace("rule hostile", f"rule r{i}") for i in range(1000))
    policy = outcome_of(text, seconds=60)
    assert isinstance(policy, Policy)
    assert timed(lambda: policy.validate(REGISTRATION)).outcome == "deny"


# ---------------------------------------------------------------- the generated source

INTERNAL_NAMES = frozenset({"d", "V", "fired", "i_", "o_outcome", "b_", "_decision", "_date", "_time", "_is_int",
                            "_render_en", "_render_ja", "_mul", "_lookup", "t_today", "any", "all", "isinstance", "str",
                            "frozenset", "enumerate", "None"})
# v_ values, l_ locals, c_ constants, B_ built-ins, A_ aggregates, f_ top-level fields of the document; S_n literal sets
POLICY_NAME = re.compile(r"(?:(?:v|l|c|B|A|f)_[A-Za-z_][A-Za-z0-9_]*|S_[0-9]+)\Z")
FUNCTION_NAME = re.compile(r"(?:run|render_[0-9]+)\Z")
ALLOWED_NODES = frozenset({
    "Module", "FunctionDef", "arguments", "arg", "Assign", "Return", "If", "For", "Expr", "Call", "Name", "Load",
    "AugAssign", "BitOr", "BitAnd",   # the fired rules' bits: `b_ |= 2`, `b_ & 3`
    "Store", "Constant", "Attribute", "Subscript", "Dict", "Tuple", "List", "BoolOp", "And", "Or", "UnaryOp", "Not",
    "USub", "BinOp", "Add", "Sub", "Compare", "Eq", "NotEq", "Lt", "LtE", "Gt", "GtE", "In", "NotIn", "Is", "IsNot",
    "IfExp", "GeneratorExp", "comprehension"})


def policy_strings(node: Any) -> Iterator[str]:
    """Every string a policy's AST holds that reaches generated code as data: string literals, the
    literal pieces of messages, table keys and field names."""
    if isinstance(node, ast.Literal) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Attr):
        yield node.name
        yield from policy_strings(node.obj)
    elif isinstance(node, ast.Text):
        for part in node.parts:
            yield from ([part] if isinstance(part, str) else policy_strings(part))
    elif isinstance(node, ast.Table):
        for key, expr in node.entries:
            yield key
            yield from policy_strings(expr)
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from policy_strings(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from policy_strings(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, ast.Span):
        for f in dataclasses.fields(node):
            yield from policy_strings(getattr(node, f.name))


def generated(policy: Policy) -> str:
    return program_sources(policy.programs) + "\n" + "\n".join(line for _, line in constant_sources(policy.checked))


def scan(policy: Policy) -> None:
    """The safety properties of a compiled policy's generated source (see the module docstring)."""
    tree = pyast.parse(generated(policy))
    constants = {n.value for n in pyast.walk(tree) if isinstance(n, pyast.Constant) and isinstance(n.value, str)}
    for program in policy.programs.values():   # literal sets the compiler hoisted out of the code: data too
        for name, value in program.run.__globals__.items():
            if re.fullmatch(r"S_[0-9]+", name):
                assert isinstance(value, frozenset) and all(isinstance(v, (str, int)) for v in value), (name, value)
                constants |= {v for v in value if isinstance(v, str)}
    identifiers: set[str] = set()
    for n in pyast.walk(tree):
        assert type(n).__name__ in ALLOWED_NODES, pyast.dump(n)[:200]
        if isinstance(n, pyast.Name):
            assert n.id in INTERNAL_NAMES or POLICY_NAME.match(n.id), n.id
            identifiers.add(n.id)
        elif isinstance(n, pyast.Attribute):
            assert n.attr in ("get", "append"), n.attr
            identifiers.add(n.attr)
        elif isinstance(n, pyast.FunctionDef):
            assert FUNCTION_NAME.match(n.name), n.name
            assert not n.decorator_list
            identifiers.add(n.name)
        elif isinstance(n, pyast.arg):
            assert n.arg in ("d", "V", "_unused", "_position", "t_today") or n.arg.startswith("l_"), n.arg
        elif isinstance(n, pyast.Call):
            assert isinstance(n.func, (pyast.Name, pyast.Attribute)) and not n.keywords
    strings = set(policy_strings(policy.checked.modules))
    assert strings, "no policy strings found"
    for text in strings:
        if text:
            assert text in constants, f"policy string {text!r} is not a string constant of the generated code"
        bare = text.strip()
        if bare and bare not in ("get", "append") and not POLICY_NAME.match(bare):
            assert bare not in identifiers or bare in INTERNAL_NAMES and bare in _identifier_names(policy), \
                f"policy string {text!r} appears as an identifier"
    for program in policy.programs.values():
        assert set(program.run.__globals__["__builtins__"]) <= {"any", "all", "isinstance", "str", "frozenset",
                                                                "enumerate", "None"}


def _identifier_names(policy: Policy) -> set[str]:
    """Field names that are also internal names (none in the bundled schemas)."""
    return set()


def test_generated_source_of_the_bundled_policy_is_inert() -> None:
    scan(espolicy.default_policy())


def test_generated_source_of_hostile_policies_is_inert(tmp_path: Path) -> None:
    for evil in EVIL_STRINGS:
        evil = evil.replace("{marker}", str(tmp_path / "pwned"))
        text = (f"const EVIL = {json.dumps(evil)}\n"
                f"table T {{\n  code = {json.dumps(evil)}\n  __import__ = {json.dumps(evil)}\n}}\n"
                f"let __class__ for registration = server.model == {json.dumps(evil)}\n"
                + rule(f"server.model != {json.dumps(evil)} and not __class__ and T.__import__ != \"\"",
                       message=lit(evil) + " {EVIL} {T.code}", extra="  each exec in history\n"))
        policy = outcome_of(text)
        assert isinstance(policy, Policy), policy
        scan(policy)
        assert evil in generated(policy) or repr(evil)[1:-1] in generated(policy)
    assert not (tmp_path / "pwned").exists()


def test_generated_source_with_every_construct_is_inert() -> None:
    text = (
        'const S = {"a\\"b", "c\'d"}\nconst L = ["__import__", "os"]\nconst W = 08:30\nconst D = 2020-02-29\n'
        "let n for registration = if pack.term_years in {3, 4} then -pack.term_years * 2 + 1 else count(history)\n"
        'fact q for registration = "q" when pack.generation in S or pack.coverage in L\n'
        + rule('(n < 0 or q is present) and all e in history: e.registered_on >= D and not (server.model == "")',
               message='{n} {q} {S} {L} {W} {D} {{literal}} "quoted"', extra="  each h in history\n  at h.generation\n"))
    policy = outcome_of(text)
    assert isinstance(policy, Policy), policy
    scan(policy)
    assert fires(policy)


def test_the_bundled_policy_sources_are_scanned_whole() -> None:
    """Every rule file of the bundled policy reaches the scan (no file is left out of the sources)."""
    files = {Path(f).name for f, _ in read_sources(bundled_dir("policy"))}
    scanned = {Path(m.file).name for m in espolicy.default_policy().checked.modules}
    assert files == scanned and files
