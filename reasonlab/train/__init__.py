"""Training: SFT warm start and GRPO-family RL on top of TRL, with rewards from reasonlab's
verifiers, a curriculum by difficulty, in-loop evaluation and atomic, resumable checkpoints.

Modules: ``config`` (recipes), ``rewards``, ``curriculum``, ``data``, ``checkpoint``,
``rollouts``, ``eval_callback``, ``runfolder`` (the run folder), ``sft`` and ``rl`` (entry points).
"""
