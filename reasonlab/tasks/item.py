"""Moved to ``reasonlab.core.item``; this import path stays for code outside reasonlab (the
name is that module itself, so its private names and monkeypatching work as before)."""

import sys

from reasonlab.core import item as _moved

sys.modules[__name__] = _moved
