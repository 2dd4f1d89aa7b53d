"""dq — 社会保险数据质量稽核引擎 (data-quality audit engine for pension databases)."""

__version__ = "0.1.0"
