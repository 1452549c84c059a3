"""The bottom layer: the contracts every stage imports and nothing of reasonlab above it.

- ``item.Item``, ``verdict.Verdict``, ``completion.Completion``: what flows between stages;
- ``summary.Summary``: an eval run's ``summary.json``, typed and versioned (``blocks`` is the
  base of such program-written JSON blocks: checked, never converted, unknown keys kept);
- ``prompting`` and ``answer``: the prompt a model sees and how its answer is read back;
- ``spec``: the one loader of YAML settings (recipes, suites, task configs, per-item options),
  whose errors name file, line and field; ``yamlfile`` keeps the line of every field;
- ``errors``, ``jsonl``, ``stats``, ``quiet``: errors a user can act on, located reading and
  atomic writing, the Wilson interval, silenced dependency warnings.
"""

from reasonlab.core.completion import Completion, read_completions
from reasonlab.core.errors import ConfigError, InputError, ReasonlabError
from reasonlab.core.item import Item, load_items
from reasonlab.core.summary import SCHEMA_VERSION, Summary, read_summary, write_summary
from reasonlab.core.verdict import STATUSES, Verdict

__all__ = ["SCHEMA_VERSION", "STATUSES", "Completion", "ConfigError", "InputError", "Item",
           "ReasonlabError", "Summary", "Verdict", "load_items", "read_completions",
           "read_summary", "write_summary"]
