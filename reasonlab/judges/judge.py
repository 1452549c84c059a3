"""The generative judge: an LLM behind an OpenAI-compatible endpoint that reads a reference
answer, a written spec, a rubric or a second response, reasons, and ends with one strict verdict
line that becomes a score.

Per (item, completion): a rule-based pre-filter first (no extractable final answer → score 0,
no judge call); then the template of the item's mode is filled with the final answer section
(not the chain of thought, unless ``see_reasoning``); then ``samples`` judge calls (cache first),
each parsed strictly; the score is the mean of the parsed votes and ``agreement`` the share of
votes on the most common value. Any sample that fails after retries makes the verdict ``error``
(masked out of rewards, counted apart), never 0 or 1.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reasonlab.core.answer import after_thinking
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, error, unparsable
from reasonlab.judges.cache import CachedVote, VerdictCache, cache_key
from reasonlab.judges.client import JudgeClient
from reasonlab.judges.options import JudgeOptions
from reasonlab.judges.parse import parse_verdict, score_of
from reasonlab.judges.templates import (
    DEFAULT_CRITERIA,
    DEFAULT_SCALE,
    MODES,
    TEMPLATES,
    Template,
    template_named,
)
from reasonlab.models.base import SamplingParams
from reasonlab.verifiers.base import OptionsError
from reasonlab.verifiers.options import verify_options
from reasonlab.verifiers.rules import extract_for

UNPARSABLE, ERROR = "unparsable", "error"


@dataclass
class JudgeSettings:
    """How to judge. ``mode`` ``auto`` picks per item: pairwise when there is a second
    response, else spec, rubric, reference answer — the first the item (or ``spec``) has.
    Items may override ``judge_mode``, ``scale``, ``see_reasoning`` and ``pass_score`` in
    ``meta.verify``."""

    mode: str = "auto"
    samples: int = 1
    temperature: float | None = None     # default: 0 for one sample, 0.7 for voting
    max_tokens: int = 512
    scale: int = DEFAULT_SCALE
    see_reasoning: bool = False
    prefilter: bool = True
    pass_score: float = 0.5               # rubric: status is correct at this score or above
    spec: str | None = None               # a spec for every item, over the item's own
    swap: bool = False                    # pairwise: odd samples show B first (position bias)
    # A template version for its mode (e.g. reference-short-v1); default: the mode's own, or
    # the one a judge trained by reasonlab records in its folder.
    template: str | None = None

    def sampling_temperature(self) -> float:
        if self.temperature is not None:
            return self.temperature
        return 0.0 if self.samples == 1 else 0.7


@dataclass
class Case:
    """One thing to judge: a completion for an item (and, pairwise, a second one: B)."""

    item: Item
    completion: str
    other: str | None = None


@dataclass
class JudgeResult:
    """A verdict plus how it was reached. ``votes`` are canonical values, ``unparsable`` or
    ``error``, one per sample (empty when the pre-filter decided); ``cached`` counts samples
    served from the cache."""

    verdict: Verdict
    mode: str | None = None
    template: str | None = None
    votes: list[str] = field(default_factory=list)
    agreement: float | None = None
    cached: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The verdict's JSONL line (as ``reasonlab verify`` writes it) plus a ``judge`` object;
        nothing in it depends on whether the cache answered, so a rerun writes the same line."""
        return {**self.verdict.to_dict(),
                "judge": {"mode": self.mode, "template": self.template, "votes": self.votes,
                          "agreement": self.agreement}}


@dataclass
class _Prepared:
    index: int
    mode: str
    template: str
    prompt: str
    scale: int
    pass_score: float
    swapped: str | None = None    # pairwise with ``swap``: the prompt with A and B exchanged

    def prompt_for(self, sample: int) -> str:
        return self.swapped if self.swapped is not None and sample % 2 else self.prompt


_FLIP = {"A": "B", "B": "A"}


def final_section(item: Item, completion: str, see_reasoning: bool,
                  require_answer: bool = False) -> tuple[str | None, str]:
    """What the judge is shown of a completion, or None with the pre-filter's reason.
    The answer must be extractable under the item's rules when ``require_answer`` (reference
    mode) or when the completion uses an ``<answer>`` block; otherwise (free-text replies to a
    spec) the text after the reasoning must be non-empty."""
    if not isinstance(completion, str):
        return None, f"completion is {type(completion).__name__}, not text"
    tail = after_thinking(completion)
    if tail is None:
        return None, "unterminated <think> block"
    if require_answer or "<answer>" in completion:
        got = extract_for(item, completion)
        if not got.ok:
            return None, got.reason
    if not tail.strip():
        return None, "no final answer after the reasoning"
    return (completion if see_reasoning else tail).strip(), ""


def trained_template(model: str) -> str | None:
    """The template a judge trained by ``reasonlab train judge`` was trained on (its folder's
    ``reasonlab_train.json``); None for any other model. A served judge's model name is its
    folder, so this finds it for the endpoint too."""
    import json

    path = Path(model) / "reasonlab_train.json"
    try:
        info = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return None
    judge = info.get("judge") if isinstance(info, dict) else None
    return judge.get("template") if isinstance(judge, dict) else None


class Judge:
    """A judge over one endpoint (``openai:URL#MODEL``) or a local model folder (run in
    process), with an optional verdict cache."""

    def __init__(self, endpoint: str, settings: JudgeSettings | None = None, *,
                 cache: str | Path | VerdictCache | None = None, concurrency: int = 8,
                 timeout: float = 60.0, retries: int = 4, backoff: float = 0.5,
                 max_backoff: float = 8.0, api_key: str | None = None, progress: bool = False):
        self.settings = settings or JudgeSettings()
        if self.settings.mode not in ("auto", *MODES):
            raise ValueError(f"judge mode must be auto or one of {MODES}")
        if self.settings.samples < 1:
            raise ValueError("judge samples must be at least 1")
        from reasonlab.judges.local_client import LocalJudgeClient, is_local_judge

        # The client's per-call bar stays off: ``ask`` keeps one bar over all votes instead.
        if is_local_judge(endpoint):
            self.client = LocalJudgeClient(endpoint)
        else:
            self.client = JudgeClient.from_endpoint(
                endpoint, concurrency=concurrency, timeout=timeout, max_retries=retries,
                backoff=backoff, max_backoff=max_backoff, api_key=api_key, progress=False)
        self.model = self.client.model
        version = self.settings.template or trained_template(self.model)
        self._template: Template | None = template_named(version) if version else None
        self.cache = VerdictCache(cache) if isinstance(cache, (str, Path)) else cache
        self.progress = progress

    # -- building prompts ---------------------------------------------------------------------
    def template_for(self, mode: str) -> Template:
        """The settings' (or trained) template when it is of ``mode``, else the mode's own."""
        chosen = self._template
        return chosen if chosen is not None and chosen.mode == mode else TEMPLATES[mode]

    def mode_for(self, case: Case) -> str | None:
        item, s = case.item, self.settings
        try:
            mode = verify_options(item, JudgeOptions).judge_mode or s.mode
        except OptionsError:
            return None    # prepare reports it
        if mode != "auto":
            return mode if mode in MODES else None
        if case.other is not None:
            return "pairwise"
        if s.spec or item.spec:
            return "spec"
        if item.rubric:
            return "rubric"
        return "reference" if item.answer is not None else None

    def prepare(self, index: int, case: Case) -> _Prepared | Verdict:
        """The filled prompt for a case, or the verdict the pre-filter reached without a call."""
        item, s = case.item, self.settings
        opts = verify_options(item, JudgeOptions)
        mode = self.mode_for(case)
        if mode is None:
            return error(item.id, "nothing to judge against: item has no spec, rubric or answer")
        see = s.see_reasoning if opts.see_reasoning is None else opts.see_reasoning
        scale = s.scale if opts.scale is None else opts.scale
        pass_score = s.pass_score if opts.pass_score is None else opts.pass_score
        shown, why = final_section(item, case.completion, see, mode == "reference")
        if shown is None and s.prefilter and mode != "pairwise":
            return unparsable(item.id, f"pre-filter: {why}; judge not called")
        values: dict[str, str] = {"question": item.prompt,
                                  "response": shown if shown is not None else case.completion}
        if mode == "reference":
            if item.answer is None:
                return error(item.id, "reference mode needs the item's answer")
            values["answer"] = item.answer
        elif mode == "spec":
            spec = s.spec or item.spec
            if not spec:
                return error(item.id, "spec mode needs a spec (item field or --spec)")
            values["spec"] = spec
        elif mode == "rubric":
            if not item.rubric:
                return error(item.id, "rubric mode needs the item's rubric")
            if scale < 2:
                return error(item.id, f"rubric scale must be at least 2, got {scale}")
            values.update(rubric=item.rubric, scale=str(scale))
        else:
            if case.other is None:
                return error(item.id, "pairwise mode needs a second completion (completion_b)")
            other, other_why = final_section(item, case.other, see)
            if s.prefilter and (shown is None or other is None):
                if shown is None and other is None:
                    return unparsable(item.id, f"pre-filter: A: {why}; B: {other_why}; "
                                               "judge not called")
                # Only one side has an answer: it wins without asking anyone.
                return (Verdict(item.id, 1.0, "correct", "A", f"pre-filter: B: {other_why}")
                        if other is None else
                        Verdict(item.id, 0.0, "wrong", "B", f"pre-filter: A: {why}"))
            values.update(criteria=s.spec or item.spec or item.rubric or DEFAULT_CRITERIA,
                          response_a=values.pop("response"),
                          response_b=other if other is not None else case.other)
        template = self.template_for(mode)
        swapped = None
        if mode == "pairwise" and s.swap:
            swapped = template.render(**{**values, "response_a": values["response_b"],
                                         "response_b": values["response_a"]})
        return _Prepared(index, mode, template.version, template.render(**values), scale,
                         pass_score, swapped)

    def ask_prompt(self, index: int, mode: str, values: dict[str, str], scale: int | None = None
                   ) -> _Prepared:
        """A prepared request from raw template values, with no pre-filter (the canary audit
        asks the judge itself what a rule would never let through)."""
        template = self.template_for(mode)
        scale = scale or self.settings.scale
        if mode == "rubric":
            values = {**values, "scale": str(scale)}
        return _Prepared(index, mode, template.version, template.render(**values), scale,
                         self.settings.pass_score)

    # -- asking ---------------------------------------------------------------------------------
    def _sampling(self, sample: int) -> tuple[dict[str, Any], SamplingParams]:
        s = self.settings
        temperature = s.sampling_temperature()
        seed = None if temperature == 0 else sample
        params = SamplingParams(max_tokens=s.max_tokens, temperature=temperature, seed=seed,
                                stop=[])
        return ({"max_tokens": s.max_tokens, "temperature": temperature, "top_p": 1.0,
                 "seed": seed, "sample": sample}, params)

    def _key(self, prep: _Prepared, sample: int) -> str:
        sampling, _ = self._sampling(sample)
        messages = [{"role": "user", "content": prep.prompt_for(sample)}]
        return cache_key(self.model, prep.template, messages, sampling)

    def ask(self, prepared: list[_Prepared]) -> dict[int, tuple[list[str], list[str], int]]:
        """Ask the judge ``samples`` times per prepared prompt; returns per index the votes,
        the reasons (for unparsable/error votes) and how many came from the cache. The cache
        holds each prompt's own verdict; a swapped pairwise vote is flipped back only here."""
        k = self.settings.samples
        votes: dict[tuple[int, int], tuple[str, str]] = {}
        cached_count: Counter[int] = Counter()
        keys = {(p.index, j): self._key(p, j) for p in prepared for j in range(k)}
        if self.cache is not None:
            hits = self.cache.get_many(list(keys.values()))
            for (index, j), key in keys.items():
                if key in hits:
                    vote = hits[key]
                    votes[index, j] = (vote.value or UNPARSABLE, vote.reason)
                    cached_count[index] += 1
        by_index = {p.index: p for p in prepared}
        bar = self._bar(len(keys), len(votes))
        for j in range(k):
            todo = [p for p in prepared if (p.index, j) not in votes]
            if not todo:
                continue
            _, params = self._sampling(j)

            def record(i: int, gen, todo=todo, j=j) -> None:
                bar.update(1)
                prep = todo[i]
                if gen.finish_reason == "error":
                    votes[prep.index, j] = (ERROR, gen.error or "judge request failed")
                    return
                parsed = parse_verdict(prep.mode, gen.text, prep.scale)
                if parsed.ok and gen.finish_reason == "length":
                    parsed = replace(parsed, value=None,
                                     reason="judge answer cut at max_tokens")
                votes[prep.index, j] = (parsed.value or UNPARSABLE, parsed.reason)
                if self.cache is not None:
                    self.cache.put(keys[prep.index, j], self.model, prep.template,
                                   CachedVote(parsed.value, parsed.reason))

            self.client.generate([p.prompt_for(j) for p in todo], params, on_done=record)
        bar.close()
        out: dict[int, tuple[list[str], list[str], int]] = {}
        for index, prep in by_index.items():
            pairs = [votes.get((index, j), (ERROR, "no answer")) for j in range(k)]
            pairs = [(_FLIP.get(v, v), r) if prep.swapped is not None and j % 2 else (v, r)
                     for j, (v, r) in enumerate(pairs)]
            out[index] = ([v for v, _ in pairs], [r for _, r in pairs], cached_count[index])
        return out

    def _bar(self, total: int, cached: int):
        """Judging can take a minute or more: with ``progress``, one bar on stderr over every
        vote of the call (cached votes count as done from the start)."""
        from tqdm import tqdm

        return tqdm(total=total, initial=cached, desc="judge", unit="vote", file=sys.stderr,
                    dynamic_ncols=True, disable=not self.progress or total == 0)

    # -- verdicts -------------------------------------------------------------------------------
    def judge_many(self, cases: list[Case]) -> list[JudgeResult]:
        """Judge every case; the result is in the order of ``cases``."""
        results: list[JudgeResult | None] = [None] * len(cases)
        prepared: list[_Prepared] = []
        for index, case in enumerate(cases):
            try:
                prep = self.prepare(index, case)
            except OptionsError as exc:  # e.g. meta.verify.scale "ten"
                prep = error(case.item.id, f"judge: {exc}")
            except (ValueError, TypeError, KeyError) as exc:
                # this item's error, not the batch's
                prep = error(case.item.id, f"cannot build the judge prompt: "
                                           f"{type(exc).__name__}: {exc}")
            if isinstance(prep, Verdict):
                results[index] = JudgeResult(prep, self.mode_for(case))
            else:
                prepared.append(prep)
        answers = self.ask(prepared)
        for prep in prepared:
            votes, reasons, cached = answers[prep.index]
            results[prep.index] = combine(cases[prep.index].item.id, prep, votes, reasons,
                                          cached)
        return results  # type: ignore[return-value]

    def judge(self, item: Item, completion: str, other: str | None = None) -> JudgeResult:
        return self.judge_many([Case(item, completion, other)])[0]

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        from reasonlab.judges.local_client import LocalJudgeClient

        if isinstance(self.client, LocalJudgeClient):
            self.client.close()


def combine(item_id: str, prep: _Prepared, votes: list[str], reasons: list[str],
            cached: int) -> JudgeResult:
    """k votes → one verdict: any error → ``error``; no parsable vote → ``unparsable``; else the
    mean score of the parsable votes, with agreement = share of all votes on the modal value."""
    meta = {"mode": prep.mode, "template": prep.template, "votes": votes, "cached": cached}
    counts = Counter(votes)
    top_count = counts.most_common(1)[0][1]
    agreement = top_count / len(votes)
    if ERROR in counts:
        why = next(r for v, r in zip(votes, reasons, strict=True) if v == ERROR)
        return JudgeResult(error(item_id, f"judge failed: {why}"), agreement=agreement, **meta)
    decided = [v for v in votes if v != UNPARSABLE]
    if not decided:
        return JudgeResult(unparsable(item_id, f"judge answer unparsable: {reasons[0]}"),
                           agreement=agreement, **meta)
    score = sum(score_of(prep.mode, v, prep.scale) for v in decided) / len(decided)
    modal = Counter(decided).most_common(1)[0][0]
    passed = score >= prep.pass_score if prep.mode == "rubric" else score > 0.5
    detail = f"{prep.mode} judge: {modal}"
    if len(votes) > 1:
        detail = f"{prep.mode} judge votes {','.join(votes)} (agreement {agreement:.2f})"
    if UNPARSABLE in counts:
        detail += f"; {counts[UNPARSABLE]} unparsable: {reasons[votes.index(UNPARSABLE)]}"
    verdict = Verdict(item_id, score, "correct" if passed else "wrong", modal, detail)
    return JudgeResult(verdict, agreement=round(agreement, 4), **meta)
