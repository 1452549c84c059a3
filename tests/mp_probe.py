"""Run `reasonlab` under `accelerate launch` with a callback that records, on every process,
its curriculum levels and data position after each step (`rank-<i>.jsonl` in the run folder):
what the multi-process tests compare across ranks. The training itself is reasonlab's own."""

import json
import sys
from pathlib import Path

from transformers import TrainerCallback

import reasonlab.train.rl as rl
from reasonlab.cli import main


class RankLog(TrainerCallback):
    def __init__(self, trainer, folder: Path):
        self.trainer, self.folder = trainer, folder

    def on_step_end(self, args, state, control, **kwargs):
        rank = self.trainer.accelerator.process_index
        with open(self.folder / f"rank-{rank}.jsonl", "a") as handle:
            handle.write(json.dumps({"step": state.global_step,
                                     "levels": self.trainer.curriculum.levels,
                                     "drawn": self.trainer.mix.drawn}) + "\n")
        return control


built = rl.build_rl_trainer


def build(recipe, out, *args, **kwargs):
    trainer = built(recipe, out, *args, **kwargs)
    trainer.add_callback(RankLog(trainer, Path(out)))
    return trainer


rl.build_rl_trainer = build
sys.exit(main(sys.argv[1:]))
