"""Task sources: procedural families with a difficulty knob and teacher traces, reasoning-gym's
generators (``gym:<name>``) and local files. Importing this package registers them all."""

from reasonlab.core.item import Item, load_items
from reasonlab.tasks import code_files as _code_files  # noqa: F401  (mbpp:, humaneval:)
from reasonlab.tasks import families as _families  # noqa: F401  (registers the built-ins)
from reasonlab.tasks import files as _files  # noqa: F401  (registers the file: prefix)
from reasonlab.tasks import gym as _gym  # noqa: F401  (registers the gym: prefix)
from reasonlab.tasks.base import Problem, ProceduralTask, Task, TaskConfig, item_id
from reasonlab.tasks.registry import (
                                      TaskInfo,
                                      entry_field,
                                      family_names,
                                      get_task,
                                      list_tasks,
                                      register,
                                      task_info,
)

__all__ = ["Item", "Problem", "ProceduralTask", "Task", "TaskConfig", "TaskInfo", "entry_field",
           "family_names", "get_task", "item_id", "list_tasks", "load_items", "register",
           "task_info"]
