"""Moved to ``reasonlab.core.prompting``; this import path stays for code outside reasonlab (the
name is that module itself, so its private names and monkeypatching work as before)."""

import sys

from reasonlab.core import prompting as _moved

sys.modules[__name__] = _moved
