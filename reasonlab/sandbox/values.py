"""Values crossing the sandbox wall: a program's results become builtin data (JSON-able, tagged
for tuples, sets, big ints...) inside, and are rebuilt and compared outside. Also the output
normalization io tests compare. Stdlib only: this file runs inside the sandbox too."""

import hashlib

MAX_VALUE_CHARS = 1 << 20      # one serialized value
MAX_DEPTH = 64


class Unserializable(Exception):
    pass


class Undecodable(ValueError):
    pass


def encode(value):
    """A JSON-able tree for ``value``; exact type checks, so a subclass with a lying ``__eq__``
    (or anything that is not builtin data) is refused rather than trusted."""
    budget = [MAX_VALUE_CHARS]
    return _enc(value, 0, budget)


def _spend(budget, n):
    budget[0] -= n
    if budget[0] < 0:
        raise Unserializable(f"value is larger than {MAX_VALUE_CHARS} characters")


def _enc(x, depth, budget):
    if depth > MAX_DEPTH:
        raise Unserializable(f"value is nested deeper than {MAX_DEPTH}")
    t = type(x)
    _spend(budget, 1)
    if x is None or t is bool or t is str:
        if t is str:
            _spend(budget, len(x))
        return x
    if t is int:
        if -(1 << 53) < x < (1 << 53):
            return x
        text = f"{x:x}"
        _spend(budget, len(text))
        return {"i": text}
    if t is float:
        if x != x or x in (float("inf"), float("-inf")):
            return {"f": repr(x)}
        return x
    if t is list:
        return [_enc(v, depth + 1, budget) for v in x]
    if t is tuple:
        return {"T": [_enc(v, depth + 1, budget) for v in x]}
    if t in (set, frozenset):
        return {"S" if t is set else "F": [_enc(v, depth + 1, budget) for v in x]}
    if t is dict:
        return {"D": [[_enc(k, depth + 1, budget), _enc(v, depth + 1, budget)]
                      for k, v in x.items()]}
    if t in (bytes, bytearray):
        _spend(budget, 2 * len(x))
        return {"B" if t is bytes else "BA": x.hex()}
    if t is complex:
        return {"C": [_enc(x.real, depth + 1, budget), _enc(x.imag, depth + 1, budget)]}
    if t is range:
        return {"R": [x.start, x.stop, x.step]}
    name = t.__module__ + "." + t.__qualname__
    if name == "fractions.Fraction":
        return {"Q": [_enc(int(x.numerator), depth + 1, budget),
                      _enc(int(x.denominator), depth + 1, budget)]}
    if name == "decimal.Decimal":
        return {"Dec": str(x)}
    if name in ("collections.OrderedDict", "collections.Counter", "collections.defaultdict"):
        tag = {"collections.OrderedDict": "OD", "collections.Counter": "Ctr"}.get(name, "D")
        return {tag: [[_enc(k, depth + 1, budget), _enc(v, depth + 1, budget)]
                      for k, v in dict.items(x)]}
    if name == "collections.deque":
        return {"Q2": [_enc(v, depth + 1, budget) for v in list(x)]}
    raise Unserializable(f"a value of type {name} is not builtin data (results are compared "
                         "outside the sandbox, so only builtin types count)")


def decode(obj, depth=0):
    """The builtin value ``encode`` made ``obj`` from; ``Undecodable`` when it is malformed."""
    from collections import Counter, OrderedDict, deque
    from decimal import Decimal
    from fractions import Fraction

    if depth > 70:
        raise Undecodable("value nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise Undecodable("malformed value")
    (tag, v), = obj.items()
    d = lambda x: decode(x, depth + 1)  # noqa: E731
    try:
        if tag == "i":
            return int(v, 16)
        if tag == "f":
            return float(v)
        if tag == "T":
            return tuple(d(x) for x in v)
        if tag == "S":
            return {d(x) for x in v}
        if tag == "F":
            return frozenset(d(x) for x in v)
        if tag in ("D", "OD", "Ctr"):
            kind = {"D": dict, "OD": OrderedDict, "Ctr": Counter}[tag]
            return kind(dict((d(k), d(x)) for k, x in v))
        if tag == "B":
            return bytes.fromhex(v)
        if tag == "BA":
            return bytearray.fromhex(v)
        if tag == "C":
            return complex(d(v[0]), d(v[1]))
        if tag == "R":
            return range(*(int(x) for x in v))
        if tag == "Q":
            return Fraction(d(v[0]), d(v[1]))
        if tag == "Dec":
            return Decimal(v)
        if tag == "Q2":
            return deque(d(x) for x in v)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError) as exc:
        raise Undecodable(f"malformed value ({exc})") from None
    raise Undecodable(f"unknown value tag {tag!r}")


def normalize_output(text):
    """What io tests compare: lines stripped of surrounding blanks, blank lines at the ends
    dropped (the usual competitive-programming leniency)."""
    return "\n".join(line.strip() for line in text.strip().splitlines())


def output_digest(text):
    return hashlib.sha256(normalize_output(text).encode("utf-8", "surrogatepass")).hexdigest()
