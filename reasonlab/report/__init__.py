"""HTML report and PNG plots from run folders (``reasonlab report``); see ``write.py``."""

from reasonlab.report.write import write_report

__all__ = ["write_report"]
