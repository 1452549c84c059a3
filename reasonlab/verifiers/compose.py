"""Weighted composition: ``"0.9*math+0.1*format"`` in an item's ``verifier`` field (or built in
code) scores a completion by several verifiers at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict
from reasonlab.verifiers.base import Verifier
from reasonlab.verifiers.spec import parse_spec


class WeightedVerifier(Verifier):
    """Score = Σ wᵢ·scoreᵢ / Σ wᵢ. Correct only when every part is; an undecided part (error or
    timeout) makes the whole undecided, since a partial sum would read as a real score."""

    name = "weighted"
    version = "1"

    def __init__(self, parts: Sequence[tuple[float, Verifier]]):
        if not parts:
            raise ConfigError("a weighted verifier needs at least one part", field="verifier")
        self.parts = list(parts)
        self.total = sum(w for w, _ in self.parts)

    @classmethod
    def from_spec(cls, spec: str, make: Callable[[str], Verifier]) -> WeightedVerifier:
        return cls([(w, make(name)) for w, name in parse_spec(spec)])

    def check(self, item: Item, completion: str) -> Verdict:
        return self.check_many([(item, completion)])[0]

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        per_part = [v.check_many(pairs) for _, v in self.parts]
        return [self._combine(pairs[i][0], [col[i] for col in per_part]) for i in range(len(pairs))]

    def _combine(self, item: Item, verdicts: list[Verdict]) -> Verdict:
        components = {v.name: (d.score if d.decided else None)
                      for (_, v), d in zip(self.parts, verdicts, strict=True)}
        detail = "; ".join(f"{v.name}: {d.status}{' (' + d.detail + ')' if d.detail else ''}"
                           for (_, v), d in zip(self.parts, verdicts, strict=True))
        primary = verdicts[0]
        undecided = [d for d in verdicts if not d.decided]
        if undecided:
            return Verdict(item.id, 0.0, undecided[0].status, primary.parsed, detail, components)
        weighted = sum(w * d.score for (w, _), d in zip(self.parts, verdicts, strict=True))
        score = weighted / self.total
        if all(d.correct for d in verdicts):
            status = "correct"
        else:
            status = primary.status if not primary.correct else "wrong"
        return Verdict(item.id, min(1.0, max(0.0, score)), status, primary.parsed, detail,
                       components)

    def versions(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, v in self.parts:
            out.update(v.versions())
        return out

    def close(self) -> None:
        for _, v in self.parts:
            v.close()
