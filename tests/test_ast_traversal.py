"""One traversal of the syntax tree: children, walk, free names and the visitor base."""
from __future__ import annotations

import pytest

from espolicy.lang import ast
from espolicy.lang.parser import parse


def expr_of(text: str) -> ast.Expr:
    decl = parse(f"const X = {text}\n").decls[0]
    assert isinstance(decl, ast.Const)
    return decl.expr


def test_walk_visits_parent_before_children_left_to_right():
    e = expr_of("a + b * c")
    assert [type(n).__name__ for n in ast.walk(e)] == ["Arith", "Name", "Arith", "Name", "Name"]
    assert [n.name for n in ast.walk(e) if isinstance(n, ast.Name)] == ["a", "b", "c"]


def test_free_names_leave_out_quantifier_variables():
    assert ast.free_names(expr_of("any x in xs: x > limit and y")) == {"xs", "limit", "y"}
    assert ast.free_names(expr_of("any x in xs: x > 1"), frozenset({"xs"})) == set()
    assert ast.free_names(None) == set()


def test_a_quantifier_variable_does_not_hide_the_same_name_in_its_list():
    assert ast.free_names(expr_of("any x in x: true")) == {"x"}


def test_walk_is_not_recursive():
    e: ast.Expr = ast.Name("a", ast.Span("f", 1, 1, 1, 2))
    for _ in range(5000):
        e = ast.Not(e, e.span)
    assert sum(1 for _ in ast.walk(e)) == 5001 and ast.free_names(e) == {"a"}


def test_every_expression_class_has_children_and_a_visit_method():
    classes = ast.Expr.__args__  # type: ignore[attr-defined]
    for cls in classes:
        name = "visit_" + cls.__name__.lower()
        assert hasattr(ast.Visitor, name), cls
        assert "children" in cls.__dict__ and "accept" in cls.__dict__, cls


def test_visitor_dispatches_on_the_node_class():
    class Count(ast.Visitor[int, None]):
        def generic(self, e: ast.Expr, ctx: None) -> int:
            return 1 + sum(self.visit(c, ctx) for c in ast.children(e))

        def visit_literal(self, e: ast.Literal, ctx: None) -> int:
            return 100

    assert Count().visit(expr_of("f(1, a)"), None) == 1 + 100 + 1


def test_an_unhandled_node_names_the_pass():
    class Empty(ast.Visitor[int, None]):
        pass

    with pytest.raises(NotImplementedError, match="Empty does not handle Name"):
        Empty().visit(expr_of("a"), None)
