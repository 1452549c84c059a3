"""Judging assert tests outside the sandbox.

Each test is one ``assert`` statement. Its expression is split (with ``ast`` only, nothing is run
here) into a small tree this module evaluates itself — comparisons, ``not``/``and``/``or``,
arithmetic, literals and a few pure builtins (``len``, ``sorted``, ``abs``, ``math.isclose``...) —
and *operands* that need Python: those that touch a name the program binds are evaluated by the
program's worker (candidate), the others by a worker that runs the setup but never the program
(reference). An operand where the setup's code is applied to the program's answers
(``checker(xs, my_sort(xs))``) is split: the program's part is a candidate, and the setup's code
runs in the reference worker on the candidate's reported value, so a program that redefines
``checker`` (or patches builtins, or a module the check imports) changes nothing the judge sees.
Literal expected values never enter the sandbox at all; values come back as builtin data and
every ``==`` is done here, so a lying ``__eq__`` or a patched harness earns nothing.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from typing import Any

from reasonlab.sandbox import values
from reasonlab.sandbox.names import (
    BUILTIN_NAMES,
    STDLIB,
    ProgramRebindsTestName,
    bound_names,
    python_names,
    rebound_names,
    stub_names,
)

MAX_ITEMS = 1_000_000     # bound on what outside arithmetic may build (``[0] * n``)
MAX_POW_BITS = 100_000


class TestFormatError(ValueError):
    """A test that is not one assert statement (a problem of the item, not of the program)."""

    __test__ = False  # not a pytest class, despite the name


class OperandError(Exception):
    """An operand raised, or returned something that is not builtin data."""


@dataclass
class TestPlan:
    source: str
    tree: Any
    candidates: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)


_SAFE_CALLS = {
    "abs": abs, "len": len, "sorted": sorted, "set": set, "frozenset": frozenset,
    "tuple": tuple, "list": list, "sum": sum, "min": min, "max": max, "round": round,
    "int": int, "float": float, "bool": bool, "str": str, "all": all, "any": any,
    "dict": dict, "reversed": lambda x: list(reversed(x)),
}
_SAFE_MATH = {"isclose": math.isclose, "sqrt": math.sqrt, "fabs": math.fabs}
_MATH_CONSTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan, "tau": math.tau}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
def parse_test(source: str) -> ast.expr:
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise TestFormatError(f"is not valid Python ({exc.msg})") from None
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Assert):
        raise TestFormatError("must be exactly one assert statement")
    return module.body[0].test


def plan_tests(tests: list[str], setup: str, program: str) -> list[TestPlan]:
    """Split each test for ``program``; raises ``TestFormatError`` naming the bad test."""
    program_names = bound_names(program)
    setup_names = bound_names(setup) - (stub_names(setup) & program_names)
    rebound = rebound_names(program) - setup_names
    plans = []
    for index, source in enumerate(tests):
        try:
            expr = parse_test(source)
        except TestFormatError as exc:
            raise TestFormatError(f"tests[{index}] {exc}") from None
        read = _names(expr)[0] & rebound & python_names(expr)
        if read:
            raise ProgramRebindsTestName(
                f"the program rebinds {', '.join(sorted(read))}, which tests[{index}] reads; "
                "its answers would be judged by its own definition")
        plan = TestPlan(source=source, tree=None)
        shadowed = program_names | setup_names
        try:
            plan.tree = _plan(expr, plan, program_names, setup_names, shadowed)
        except TestFormatError as exc:
            raise TestFormatError(f"tests[{index}] {exc}") from None
        plans.append(plan)
    return plans


def _names(node: ast.AST) -> tuple[set[str], set[str]]:
    loads, stores = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else stores).add(sub.id)
        elif isinstance(sub, ast.arg):
            stores.add(sub.arg)
    return loads, stores


def _plan(node: ast.expr, plan: TestPlan, program: set[str], setup: set[str],
          shadowed: set[str]) -> Any:
    def sub(child: ast.expr) -> Any:
        return _plan(child, plan, program, setup, shadowed)

    if isinstance(node, ast.Constant):
        return ("const", node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and not any(
            isinstance(e, ast.Starred) for e in node.elts):
        kind = {ast.Tuple: "tuple", ast.List: "list", ast.Set: "set"}[type(node)]
        return (kind, [sub(e) for e in node.elts])
    if isinstance(node, ast.Dict) and None not in node.keys:
        return ("dict", [(sub(k), sub(v)) for k, v in zip(node.keys, node.values, strict=False)])
    if isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):
        return ("cmp", [type(op) for op in node.ops], [sub(node.left)]
                + [sub(c) for c in node.comparators])
    if isinstance(node, ast.BoolOp):
        return ("and" if isinstance(node.op, ast.And) else "or", [sub(v) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
        return ({ast.Not: "not", ast.USub: "neg", ast.UAdd: "pos"}[type(node.op)],
                sub(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        return ("bin", type(node.op), sub(node.left), sub(node.right))
    # A generator argument (``all(f(x) for x in xs)``) is not a value to send back: the call
    # stays whole, an operand.
    if isinstance(node, ast.Call) \
            and not any(isinstance(a, (ast.Starred, ast.GeneratorExp)) for a in node.args) \
            and all(k.arg for k in node.keywords):
        func = _safe_function(node.func, shadowed)
        if func is not None:
            return ("call", func, [sub(a) for a in node.args],
                    {k.arg: sub(k.value) for k in node.keywords})
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "math" and "math" not in shadowed and node.attr in _MATH_CONSTS:
        return ("const", _MATH_CONSTS[node.attr])
    return _operand(node, plan, program, setup)


def _safe_function(func: ast.expr, shadowed: set[str]) -> Any:
    if isinstance(func, ast.Name) and func.id in _SAFE_CALLS and func.id not in shadowed:
        return _SAFE_CALLS[func.id]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "math" and "math" not in shadowed and func.attr in _SAFE_MATH:
        return _SAFE_MATH[func.attr]
    return None


# In a reference operand, candidate j's value (the program's) is ``__reasonlab_c(j)``; the
# reference worker defines it from the values the program's worker reported for the test.
CANDIDATE_VALUE = "__reasonlab_c"


def _operand(node: ast.expr, plan: TestPlan, program: set[str], setup: set[str]) -> Any:
    source = ast.unparse(node)
    try:
        return ("const", ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    loads, stores = _names(node)
    free = loads - stores
    known = BUILTIN_NAMES | STDLIB | setup
    # Names only the program binds are the program's to answer; so is a name nobody binds in
    # syntax (``globals().update(my_sort=...)``, ``exec``): only the program can provide it.
    own = (program - setup - python_names(node)) | (free - known)
    unknown = not free <= known | own
    # A name the setup binds means the setup's object (a reference function the program may try
    # to redefine), and a builtin or standard-library name means Python's (the program may
    # patch ``builtins`` or ``math`` in its process): only the program's own calls run there.
    # Applied to the program's own function (``my_sort(xs)``), the whole operand is its answer.
    outside = free & known
    if unknown or (free & own and (not outside or _root(node) in own)):
        plan.candidates.append(source)
        return ("cand", len(plan.candidates) - 1)
    if free & own:
        # The setup's or Python's code applied to the program's answers (``checker(xs,
        # my_sort(xs))``, ``set(f(x))``, ``math.isclose(area(2), 12.566)``): the program's
        # parts run in its process, the rest outside it, on their values.
        try:
            source = ast.unparse(_hoist(node, plan, own))
        except UnsplittableTest:
            if free & setup:
                raise
            # ``all(f(x) == y for x, y in pairs)``: Python's code only, around a program call
            # that reads the comprehension's variable. It runs in the program's process, where
            # the worker evaluates tests with the builtins as they were before the program.
            plan.candidates.append(source)
            return ("cand", len(plan.candidates) - 1)
    plan.references.append(source)
    plan.imports.update(name for name in free if name in STDLIB and name not in setup)
    return ("ref", len(plan.references) - 1)


def _root(node: ast.expr) -> str | None:
    """The name an expression is applied to or read from (``f`` of ``f(x).y[0]``); None when
    it starts from something else (a literal, a comprehension, an operator)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return None


class UnsplittableTest(TestFormatError):
    """A test whose program part cannot be taken out of the setup's code around it."""


def _hoist(node: ast.expr, plan: TestPlan, own: set[str]) -> ast.expr:
    """``node`` with each largest sub-expression rooted in a program name replaced by the
    placeholder of a new candidate operand. A program name bound inside the expression itself
    (a comprehension or lambda variable) cannot be moved out: such a test is refused."""
    bound_here = _names(node)[1]

    class Hoist(ast.NodeTransformer):
        def visit(self, sub: ast.AST) -> ast.AST:
            if isinstance(sub, ast.expr) and _root(sub) in own:
                loads, _ = _names(sub)
                if loads & bound_here:
                    raise UnsplittableTest(
                        f"mixes the setup's code with the program's ({ast.unparse(sub)}) "
                        "inside a comprehension or lambda; it cannot be judged outside the "
                        "program's process")
                plan.candidates.append(ast.unparse(sub))
                return ast.Call(ast.Name(CANDIDATE_VALUE, ast.Load()),
                                [ast.Constant(len(plan.candidates) - 1)], [])
            return super().generic_visit(sub)

    return Hoist().visit(ast.parse(ast.unparse(node), mode="eval").body)


# -- outside: decode builtin data, evaluate the tree


def decode(obj: Any) -> Any:
    """The builtin value a worker encoded (see ``values.encode``)."""
    try:
        return values.decode(obj)
    except values.Undecodable as exc:
        raise OperandError(str(exc)) from None


def evaluate(tree: Any, candidate: list[Any], reference: list[Any]) -> Any:
    """Evaluate a planned test; ``candidate``/``reference`` hold each operand's report
    (``{"v": encoded}`` or ``{"!": error}``). Short-circuits like Python."""
    kind = tree[0]
    ev = lambda t: evaluate(t, candidate, reference)  # noqa: E731
    if kind == "const":
        return tree[1]
    if kind in ("cand", "ref"):
        reports = candidate if kind == "cand" else reference
        got = reports[tree[1]] if tree[1] < len(reports) else None
        if not isinstance(got, dict):
            raise OperandError("no value was reported")
        if "!" in got:
            raise OperandError(str(got["!"]))
        return decode(got.get("v"))
    if kind in ("tuple", "list", "set"):
        values = [ev(t) for t in tree[1]]
        return {"tuple": tuple, "list": list, "set": set}[kind](values)
    if kind == "dict":
        return {ev(k): ev(v) for k, v in tree[1]}
    if kind == "cmp":
        ops, operands = tree[1], tree[2]
        left = ev(operands[0])
        for op, right_tree in zip(ops, operands[1:], strict=False):
            right = ev(right_tree)
            if not _CMP[op](left, right):
                return False
            left = right
        return True
    if kind == "and":
        value = True
        for t in tree[1]:
            value = ev(t)
            if not value:
                return value
        return value
    if kind == "or":
        value = False
        for t in tree[1]:
            value = ev(t)
            if value:
                return value
        return value
    if kind == "not":
        return not ev(tree[1])
    if kind == "neg":
        return -ev(tree[1])
    if kind == "pos":
        return +ev(tree[1])
    if kind == "bin":
        left, right = ev(tree[2]), ev(tree[3])
        _guard(tree[1], left, right)
        return _BIN[tree[1]](left, right)
    if kind == "call":
        args = [ev(t) for t in tree[2]]
        kwargs = {k: ev(t) for k, t in tree[3].items()}
        return tree[1](*args, **kwargs)
    raise OperandError(f"unknown plan node {kind!r}")


def _guard(op: type, left: Any, right: Any) -> None:
    """Keep outside arithmetic small: the host must not be made to build a huge value."""
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_POW_BITS:
            raise OperandError("power too large to check")
    if op is ast.Mult:
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) \
                    and len(seq) * max(n, 0) > MAX_ITEMS:
                raise OperandError("repetition too large to check")


def judge_test(plan: TestPlan, candidate: list[Any], reference: list[Any]) -> tuple[bool, str]:
    """(passed, why not) for one test."""
    try:
        value = evaluate(plan.tree, candidate, reference)
        return (True, "") if value else (False, _explain_failure(plan, candidate, reference))
    except OperandError as exc:
        return False, str(exc)
    except Exception as exc:  # noqa: BLE001  (e.g. TypeError comparing a list with an int)
        return False, f"{type(exc).__name__}: {exc}"


def _explain_failure(plan: TestPlan, candidate: list[Any], reference: list[Any]) -> str:
    tree = plan.tree
    if tree[0] == "cmp" and len(tree[1]) == 1 and tree[1][0] is ast.Eq:
        try:
            got = evaluate(tree[2][0], candidate, reference)
            want = evaluate(tree[2][1], candidate, reference)
            return f"got {_short(got)}, expected {_short(want)}"
        except Exception:  # noqa: BLE001
            pass
    return "assertion failed"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
