"""Moved to ``reasonlab.core.verdict``; this import path stays for code outside reasonlab (the
name is that module itself, so its private names and monkeypatching work as before)."""

import sys

from reasonlab.core import verdict as _moved

sys.modules[__name__] = _moved
