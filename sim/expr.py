"""A tiny, safe condition language for protocol and scenario files.

Conditions read like this::

    slachtoffer_eigen_school and verspreiding >= 'klas'
    dader_school == 'andere' or not dader_bekend
    'gesprek-slachtoffer' in gedaan and onrust > 40

They are parsed with Python's :mod:`ast` (``mode="eval"``) and then *interpreted* by our own code:
only names, constants, lists, ``and``/``or``/``not`` and comparisons are allowed. Nothing is ever
passed to ``eval``. Names are checked against a vocabulary when the condition is compiled, so a typo
is an error with a suggestion, not a condition that is silently false.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.errors import suggest

Kind = Literal["bool", "enum", "number", "set", "text"]


@dataclass(frozen=True)
class Var:
    """A name a condition may read: a fact, a state variable or the set of steps taken."""

    kind: Kind
    values: tuple[str, ...] = ()
    ordered: bool = False


class ExprError(ValueError):
    """A condition that cannot be compiled; ``col`` is a 1-based offset inside the condition."""

    def __init__(self, message: str, col: int = 1) -> None:
        """Keep the message and the column where the problem starts."""
        super().__init__(message)
        self.col = col


Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

_CMP = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_CONST_NAMES = {"true": True, "false": False, "True": True, "False": False}


@dataclass
class Condition:
    """A compiled condition: call :meth:`holds` with an environment of values."""

    source: str
    fn: Fn = field(repr=False)
    names: frozenset[str] = frozenset()

    def holds(self, env: Env) -> bool:
        """Evaluate the condition; names missing from ``env`` count as false/empty."""
        return bool(self.fn(env))


def compile_condition(text: str | bool | None, vocab: Mapping[str, Var]) -> Condition:
    """Compile ``text`` against ``vocab``; raise :class:`ExprError` on any problem."""
    if text is None or text is True:
        return Condition("true", lambda env: True)
    if text is False:
        return Condition("false", lambda env: False)
    if not isinstance(text, str) or not text.strip():
        raise ExprError("a condition must be a non-empty text")
    if len(text) > 2000:
        raise ExprError("condition is too long (at most 2000 characters)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"cannot read condition: {exc.msg}", exc.offset or 1) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError("cannot read condition") from None
    names: set[str] = set()
    try:
        fn = _compile_bool(tree.body, vocab, names)
    except RecursionError:
        raise ExprError("condition is nested too deeply") from None
    return Condition(text.strip(), fn, frozenset(names))


def _compile_bool(node: ast.AST, vocab: Mapping[str, Var], names: set[str]) -> Fn:
    """Compile a node that must be a truth value: a bare enum, number or set name is an error."""
    fn, var = _compile(node, vocab, names)
    if var is not None and var.kind != "bool":
        raise ExprError(f"'{ast.unparse(node)}' is not true or false on its own; compare it with a value", _col(node))
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        raise ExprError(f"{node.value!r} is not true or false", _col(node))
    return fn


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def _compile(node: ast.AST, vocab: Mapping[str, Var], names: set[str]) -> tuple[Fn, Var | None]:
    """Return an evaluator and, when the node is a plain name, its variable spec."""
    if isinstance(node, ast.BoolOp):
        parts = [_compile_bool(v, vocab, names) for v in node.values]
        if isinstance(node.op, ast.And):
            return (lambda env: all(p(env) for p in parts)), None
        return (lambda env: any(p(env) for p in parts)), None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile_bool(node.operand, vocab, names)
        return (lambda env: not inner(env)), None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)):
            value = -node.operand.value
            return (lambda env: value), None
    if isinstance(node, ast.Name):
        if node.id in _CONST_NAMES:
            value = _CONST_NAMES[node.id]
            return (lambda env: value), None
        if node.id not in vocab:
            raise ExprError(f"unknown name '{node.id}'" + suggest(node.id, vocab), _col(node))
        names.add(node.id)
        var = vocab[node.id]
        key = node.id
        if var.kind == "set":
            return (lambda env: env.get(key) or frozenset()), var
        return (lambda env: env.get(key)), var
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (str, int, float, bool)) or node.value is None:
            raise ExprError("only texts, numbers, true and false are allowed", _col(node))
        value = node.value
        return (lambda env: value), None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = []
        for elt in node.elts:
            if not isinstance(elt, ast.Constant) or not isinstance(elt.value, (str, int, float)):
                raise ExprError("a list may only hold texts and numbers", _col(elt))
            items.append(elt.value)
        frozen = frozenset(items)
        return (lambda env: frozen), None
    if isinstance(node, ast.Compare):
        return _compile_compare(node, vocab, names), None
    raise ExprError(
        f"'{ast.unparse(node) if hasattr(ast, 'unparse') else type(node).__name__}' is not allowed in a condition",
        _col(node),
    )


def _check_value(var: Var | None, other: ast.AST) -> None:
    """Check that a constant compared with an enum or number variable makes sense."""
    if var is None:
        return
    consts: list[ast.Constant] = []
    if isinstance(other, ast.Constant):
        consts = [other]
    elif isinstance(other, (ast.List, ast.Tuple, ast.Set)):
        consts = [e for e in other.elts if isinstance(e, ast.Constant)]
    for c in consts:
        if var.kind == "enum" and c.value not in var.values:
            raise ExprError(f"'{c.value}' is not a possible value" + suggest(str(c.value), var.values), _col(c))
        if var.kind == "number" and (not isinstance(c.value, (int, float)) or isinstance(c.value, bool)):
            raise ExprError(f"'{c.value}' must be a number here", _col(c))
        if var.kind == "bool" and not isinstance(c.value, bool):
            raise ExprError(f"'{c.value}' must be true or false here", _col(c))


def _compile_compare(node: ast.Compare, vocab: Mapping[str, Var], names: set[str]) -> Fn:
    operands = [node.left, *node.comparators]
    compiled = [_compile(o, vocab, names) for o in operands]
    steps: list[tuple[Callable[[Any, Any], bool], Fn, Fn]] = []
    for i, op in enumerate(node.ops):
        if type(op) not in _CMP:
            raise ExprError("this comparison is not allowed", _col(node))
        (lf, lvar), (rf, rvar) = compiled[i], compiled[i + 1]
        _check_value(lvar, operands[i + 1])
        _check_value(rvar, operands[i])
        ordering = isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
        enum_var = lvar if (lvar and lvar.kind == "enum") else rvar if (rvar and rvar.kind == "enum") else None
        if ordering and any(v is not None and v.kind in ("bool", "set") for v in (lvar, rvar)):
            raise ExprError("true/false values and sets have no order", _col(node))
        if ordering and enum_var is not None:
            if not enum_var.ordered:
                raise ExprError("these values have no order; use == or in", _col(node))
            index = {v: n for n, v in enumerate(enum_var.values)}
            lf = _ranked(lf, index)
            rf = _ranked(rf, index)
        steps.append((_safe(_CMP[type(op)]), lf, rf))

    def run(env: Env) -> bool:
        for cmp, lf, rf in steps:
            if not cmp(lf(env), rf(env)):
                return False
        return True

    return run


def _ranked(fn: Fn, index: Mapping[str, int]) -> Fn:
    # A missing value ranks as None, so every ordering comparison with it is false.
    return lambda env: index.get(fn(env))


def _safe(cmp: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        try:
            return bool(cmp(a, b))
        except TypeError:
            return False

    return run
