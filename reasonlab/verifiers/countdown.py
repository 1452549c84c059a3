"""The ``countdown`` verifier: the answer is an arithmetic expression that must use each of the
item's numbers (``meta.numbers``) exactly once and equal its target (``meta.target``).

The expression is parsed with ``ast`` and walked by hand: only integer literals, + - * /,
parentheses and unary minus are accepted, so nothing in an answer is ever executed. Length and
literal size are capped before parsing, and values are exact fractions (no float rounding).
"""

from __future__ import annotations

import ast
from collections import Counter
from fractions import Fraction

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, unparsable, wrong
from reasonlab.verifiers.base import Verifier
from reasonlab.verifiers.options import ExtractOptions
from reasonlab.verifiers.rules import extract_for

# Longer than any honest answer (a dozen numbers and their operators); bounds the parse.
MAX_EXPRESSION_CHARS = 200
MAX_LITERAL_DIGITS = 12
# Characters an expression may contain at all: rules out names, calls, attribute access,
# strings, floats (".", "e", "j") and Python's digit separator "_" before ast sees the text.
_ALLOWED = set("0123456789+-*/() \t\n")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class NotAnExpression(ValueError):
    """The answer is not an arithmetic expression of the allowed form (→ ``unparsable``)."""


class BadArithmetic(ValueError):
    """The expression is well formed but cannot be evaluated, e.g. x/0 (→ ``wrong``)."""


def parse_expression(text: str) -> ast.expr:
    """The expression's syntax tree, or ``NotAnExpression`` saying what is not allowed."""
    text = text.strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        raise NotAnExpression(f"expression is {len(text)} characters, over the "
                              f"{MAX_EXPRESSION_CHARS} limit")
    bad = sorted(set(text) - _ALLOWED)
    if bad:
        raise NotAnExpression(f"only integers, + - * / and parentheses are allowed, "
                              f"found {''.join(bad)!r}")
    if "**" in text.replace(" ", "") or "//" in text.replace(" ", ""):
        raise NotAnExpression("only + - * / are allowed (no ** or //)")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise NotAnExpression(f"not an arithmetic expression ({type(exc).__name__})") from None
    _check_nodes(tree.body)
    return tree.body


def _check_nodes(node: ast.expr) -> None:
    # Iterative so that a deeply nested (but short) input cannot exhaust the stack.
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinOp) and type(current.op) in _OPS:
            stack += [current.left, current.right]
        elif isinstance(current, ast.UnaryOp) and isinstance(current.op, ast.USub):
            stack.append(current.operand)
        elif isinstance(current, ast.Constant) and type(current.value) is int:
            if len(str(current.value)) > MAX_LITERAL_DIGITS:
                raise NotAnExpression(f"number literal over {MAX_LITERAL_DIGITS} digits")
        else:
            raise NotAnExpression(f"{type(current).__name__} is not allowed in an expression "
                                  "(only integers, + - * /, parentheses, unary minus)")


def literals(node: ast.expr) -> list[int]:
    """The integer literals in order of appearance (a unary minus does not make a new number)."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]


def evaluate(node: ast.expr) -> Fraction:
    """Exact value; ``BadArithmetic`` on division by zero."""
    if isinstance(node, ast.Constant):
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp):
        return -evaluate(node.operand)
    assert isinstance(node, ast.BinOp)  # guaranteed by _check_nodes
    left, right = evaluate(node.left), evaluate(node.right)
    op = _OPS[type(node.op)]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise BadArithmetic("division by zero")
    return left / right


def multiset_problem(used: list[int], given: list[int]) -> str:
    """Why ``used`` is not ``given`` as a multiset, or "" when it is."""
    have, want = Counter(used), Counter(given)
    problems = []
    for number in sorted(have):
        if number not in want:
            problems.append(f"uses {number}, which is not given")
        elif have[number] > want[number]:
            problems.append(f"uses {number} {have[number]} times, given {want[number]}")
    missing = sorted((want - have).elements())
    if missing:
        problems.append(f"does not use {' '.join(map(str, missing))}")
    return "; ".join(problems)


class CountdownVerifier(Verifier):
    """Correct when the expression uses exactly the given numbers and equals the target."""

    name = "countdown"
    version = "1"
    options_type = ExtractOptions

    def check(self, item: Item, completion: str) -> Verdict:
        numbers, target = item.meta.get("numbers"), item.meta.get("target")
        if (not isinstance(numbers, list) or not all(type(n) is int for n in numbers)
                or type(target) is not int):
            return error(item.id, "countdown item needs integer meta.numbers (list) and "
                                  "meta.target")
        got = extract_for(item, completion)
        if not got.ok:
            return unparsable(item.id, got.reason)
        try:
            tree = parse_expression(got.text)
        except NotAnExpression as exc:
            return unparsable(item.id, str(exc), parsed=got.text)
        problem = multiset_problem(literals(tree), numbers)
        if problem:
            return wrong(item.id, got.text, problem)
        # Depth is bounded by the length cap, and the numbers are the item's own, so the
        # recursion and the size of the fractions stay small.
        try:
            value = evaluate(tree)
        except BadArithmetic as exc:
            return wrong(item.id, got.text, str(exc))
        if value != target:
            shown = str(value) if value.denominator == 1 else f"{value} (not an integer)"
            return wrong(item.id, got.text, f"value is {shown}, target {target}")
        return correct(item.id, got.text)
