"""``reasonlab train rl``: GRPO-family RL on verifiable rewards, on top of TRL's GRPOTrainer.

The algorithm is TRL's (Shao et al. 2024, GRPO, with the loss variant the recipe picks:
``grpo``, ``dr_grpo``, ``dapo``, …, KL weight ``beta``, clip range ``epsilon``/``epsilon_high``,
generation in-process or on a vLLM server): for each prompt sample ``num_generations``
completions, score them, normalise the rewards within the group into advantages, and take a
clipped policy-gradient step. What reasonlab adds, and where it departs from the paper:

- the reward is a weighted sum of verifier-backed components (``rewards.py``), each logged on
  its own; a completion a verifier could not decide is *masked* (advantage 0, out of its group's
  baseline) instead of being scored 0 — the paper assumes a reward model that always answers;
- prompts come from procedural task families at a *curriculum* level per task (``curriculum.py``,
  ``data.py``) rather than from a fixed dataset;
- checkpoints are atomic and carry the curriculum state, so ``--resume`` continues exactly;
- a held-out suite is evaluated every N steps (``eval_callback.py``) and every completion is
  logged to ``DIR/rollouts/`` (``rollouts.py``);
- the reward may be a learned judge named by the recipe (``judge.model``); then the held-out
  evaluations are judged too and the reward-hacking alarm watches judge reward against true
  accuracy (``judge_eval.py``, ``alarm.py``).

Read top to bottom: ``train_rl`` builds the pieces, then hands them to the trainer.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from trl import GRPOConfig, GRPOTrainer

from reasonlab.train import runfolder
from reasonlab.train.checkpoint import AtomicCheckpointMixin, read_state
from reasonlab.train.curriculum import Curriculum, LevelRange
from reasonlab.train.data import TaskMix, slot_dataset
from reasonlab.train.eval_callback import InLoopEval, held_out_suite
from reasonlab.train.recipe import Recipe
from reasonlab.train.rewards import RewardScorer
from reasonlab.train.rollouts import RolloutWriter


class ReasonlabGRPOTrainer(AtomicCheckpointMixin, GRPOTrainer):
    """GRPOTrainer whose prompts are drawn at generation time from the task mix at the current
    curriculum level, and whose checkpoints are atomic and carry reasonlab's state."""

    def __init__(self, *args: Any, mix: TaskMix, curriculum: Curriculum,
                 checkpoint_root: Path, checkpoint_keep: int,
                 drop_zero_variance_groups: bool = False, generation_backend: str = "trl",
                 **kwargs: Any):
        from reasonlab.train.rollout_backend import FastRollouts

        self.mix, self.curriculum = mix, curriculum
        self.drop_zero_variance_groups = drop_zero_variance_groups
        self.checkpoint_root, self.checkpoint_keep = checkpoint_root, checkpoint_keep
        super().__init__(*args, **kwargs)
        self.fast_rollouts = (FastRollouts(self, self.args.seed)
                              if generation_backend == "reasonlab" else None)

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations,
                              has_tool_images=False):
        # generation_backend: reasonlab (rollout_backend.py); text-only prompts, no vLLM.
        if self.fast_rollouts is None or images is not None and any(images):
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields,
                                                 num_generations, has_tool_images)
        return self.fast_rollouts.completions(prompt_ids), None

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        # inputs: the local generation batch, B·G rows {"slot", "prompt": ""}; rows of one slot
        # become one item, so each group of G completions answers the same problem.
        if self.model.training:
            inputs = self.mix.materialize(inputs, self.curriculum.level,
                                          batch_slots=self._batch_slots(inputs))
        output = super()._generate_and_score_completions(inputs)
        if self.drop_zero_variance_groups and self.model.training:
            output = self._drop_zero_advantage(output)
        return output

    def _batch_slots(self, inputs: list[dict[str, Any]]) -> list[int] | None:
        """The whole generation batch's slots, every process's in rank order, when a task has
        fixed level shares: the shares are planned over the batch, not over one process's
        part of it (a group may even span processes)."""
        if not any(spec.levels for spec in self.mix.specs):
            return None
        mine = list(dict.fromkeys(int(row["slot"]) for row in inputs))
        if self.accelerator.num_processes == 1:
            return mine
        from accelerate.utils import gather_object

        parts = gather_object([mine])     # one list per process, in rank order
        return list(dict.fromkeys(slot for part in parts for slot in part))

    def _drop_zero_advantage(self, output: dict[str, Any]) -> dict[str, Any]:
        """DAPO's dynamic-sampling idea without resampling: a group whose completions all
        scored alike adds nothing to the gradient, but its tokens still count in the loss
        normaliser and shrink the step of the groups that do teach. Take such groups (and
        masked completions, whose advantage is 0) out of the mask and the token count.

        A uniform group is found by the spread of its advantages, which is exactly 0 (every
        member computes the same ``reward - mean``); the advantages themselves are only near 0
        when rewards such as 0.1 are not exact in float32."""
        advantages = output["advantages"]
        size = self.num_generations
        if advantages.numel() % size:
            return output   # groups split across processes: nothing can be said locally
        groups = advantages.view(-1, size)
        spread = groups.max(dim=1).values - groups.min(dim=1).values
        keep = (spread > 0).repeat_interleave(size) & (advantages != 0)
        mask = output["completion_mask"] * keep.to(output["completion_mask"].dtype).unsqueeze(1)
        output["completion_mask"] = mask
        # A batch of uniform groups only: no token left, a zero loss (not 0 / 0, which is NaN).
        output["num_items_in_batch"] = self.accelerator.gather(mask.sum()).sum().clamp(min=1)
        return output

    def reasonlab_state(self) -> dict[str, Any]:
        return {"curriculum": self.curriculum.state_dict(),
                "data": {"slots_drawn": self.mix.drawn, "seed": self.mix.seed}}

    def load_reasonlab_state(self, state: dict[str, Any]) -> None:
        if "curriculum" in state:
            self.curriculum.load_state_dict(state["curriculum"])
        self.mix.drawn = int(state.get("data", {}).get("slots_drawn", 0))


def build_curriculum(recipe: Recipe) -> Curriculum:
    c = recipe.curriculum
    ranges = {t.name: LevelRange(t.min_level, t.max_level, t.start_level,
                                 {int(k): float(v) for k, v in t.levels.items()}
                                 if t.levels else None)
              for t in recipe.tasks}
    return Curriculum(ranges, window=c.window, promote_at=c.promote_at, demote_at=c.demote_at,
                      enabled=c.enabled)


def train_rl(recipe: Recipe, out: str | Path, *, max_steps: int | None = None,
             resume: bool = False, callbacks: list[Any] | None = None,
             announce: bool = True) -> Path:
    """Run (or resume) RL training; returns DIR/final. ``announce``: the user asked for the
    resume, so say when there is nothing to resume or the run is already finished."""

    max_steps = max_steps or recipe.max_steps
    recipe.max_steps = max_steps
    done = runfolder.finished(runfolder.check_out(out), max_steps) if resume else None
    if done is not None:
        runfolder.say_finished(done, announce)
        return done
    out, start = runfolder.prepare(recipe, out, resume=resume, asked=announce)
    model = runfolder.model_path(recipe, out)
    if recipe.rewards.judge:
        from reasonlab.judges.runtime import JudgeRuntime

        with JudgeRuntime(recipe.judge) as runtime:
            return _train(recipe, out, start, model, max_steps, callbacks, runtime.verifier)
    return _train(recipe, out, start, model, max_steps, callbacks, None)


def _train(recipe: Recipe, out: Path, start: Path | None, model: str, max_steps: int,
           callbacks: list[Any] | None, judge: Any) -> Path:
    trainer = build_rl_trainer(recipe, out, model, max_steps, callbacks, judge)
    if start is not None:
        trainer.load_reasonlab_state(read_state(start))
        print(f"reasonlab: resuming from {start}")

    trainer.train(resume_from_checkpoint=str(start) if start is not None else None)

    return runfolder.save_final(trainer, out, {
        "kind": "rl", "recipe": recipe.source, "steps": trainer.state.global_step,
        "curriculum": {t: level for t, level in trainer.curriculum.state_dict()["levels"].items()
                       if t not in trainer.curriculum.by_level},
        "level_shares": {s.name: s.levels for s in recipe.tasks if s.levels},
        "base_model": model}, recipe)


def build_rl_trainer(recipe: Recipe, out: Path, model: str, max_steps: int,
                     callbacks: list[Any] | None = None,
                     judge: Any = None) -> ReasonlabGRPOTrainer:
    """Every piece the recipe asks for, wired into the trainer (nothing trained yet): the task
    mix and curriculum, TRL's settings, the reward components, the rollout log, in-loop
    evaluation and the alarm."""
    from accelerate.utils import gather_object

    # Held-out suite first: its prompts are excluded from the training draw.
    suite, held_out = held_out_suite(recipe)
    mix = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed, held_out=held_out)
    curriculum = build_curriculum(recipe)

    if recipe.rewards.judge and judge is None:
        # Built without train_rl's JudgeRuntime (a caller of this function): the judge the
        # recipe's block describes on its endpoint, or REASONLAB_JUDGE's; the alarm watches it.
        from reasonlab.judges.runtime import recipe_judge

        judge = recipe_judge(recipe.judge, recipe.judge.model)

    args = runfolder.build_args(GRPOConfig, recipe, {
        **runfolder.trl_kwargs(recipe, out, max_steps), "shuffle_dataset": False})
    scorer = RewardScorer(recipe.rewards, confidence=recipe.prompt.confidence,
                          length_limit=args.max_completion_length, curriculum=curriculum,
                          gather=gather_object, judge=judge)
    funcs, weights = scorer.functions()
    args.reward_weights = weights
    # One slot per prompt group; a step makes at most ceil(accumulation / steps_per_generation)
    # generation batches of generation_batch_size / num_generations prompts each.
    per_step = math.ceil(args.gradient_accumulation_steps / args.steps_per_generation)
    slots = (max_steps + 1) * per_step * math.ceil(args.generation_batch_size
                                                   / args.num_generations)

    trainer = ReasonlabGRPOTrainer(
        model=model, reward_funcs=funcs, args=args, train_dataset=slot_dataset(slots),
        callbacks=[runfolder.MetricsLog(out / runfolder.METRICS), *(callbacks or [])],
        mix=mix, curriculum=curriculum, checkpoint_root=out / runfolder.CHECKPOINTS,
        checkpoint_keep=recipe.checkpoint.keep,
        drop_zero_variance_groups=recipe.drop_zero_variance_groups,
        generation_backend=recipe.generation_backend)
    runfolder.check_processes(trainer)
    runfolder.quiet_logs(trainer)   # compact lines on stderr; every field in metrics.jsonl
    if recipe.rollouts:
        scorer.on_batch = RolloutWriter(out / "rollouts", scorer.weights(), gather=gather_object,
                                        is_main=trainer.accelerator.is_main_process)
    if suite is not None and recipe.eval.every and recipe.rewards.judge:
        from reasonlab.train.judge_eval import JudgeInLoopEval

        evaluator = JudgeInLoopEval(suite, out / "evals", recipe.eval.every, judge=judge,
                                    alarm_spec=recipe.judge.alarm,
                                    metrics=out / runfolder.METRICS,
                                    batch_size=recipe.eval.batch_size, run_name=out.name,
                                    chat=recipe.prompt.chat)
        evaluator.trainer = trainer
        trainer.add_callback(evaluator)
    elif suite is not None and recipe.eval.every:
        evaluator = InLoopEval(suite, out / "evals", recipe.eval.every,
                               batch_size=recipe.eval.batch_size, run_name=out.name,
                               chat=recipe.prompt.chat)
        evaluator.trainer = trainer
        trainer.add_callback(evaluator)
    trainer.scorer = scorer
    return trainer
