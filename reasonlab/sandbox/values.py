"""Values crossing the sandbox wall: a program's results become builtin data (JSON-able, tagged
for tuples, sets, big ints...) inside, and are rebuilt and compared outside. Also the output
normalization io tests compare. Stdlib only: this file runs inside the sandbox too."""

import hashlib

MAX_VALUE_CHARS = 1 << 20      # one serialized value
MAX_DEPTH = 64


class Unserializable(Exception):
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


def normalize_output(text):
    """What io tests compare: lines stripped of surrounding blanks, blank lines at the ends
    dropped (the usual competitive-programming leniency)."""
    return "\n".join(line.strip() for line in text.strip().splitlines())


def output_digest(text):
    return hashlib.sha256(normalize_output(text).encode("utf-8", "surrogatepass")).hexdigest()
