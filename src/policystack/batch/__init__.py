"""Batch generation for a clinic network: every clinic of a roster, in parallel, incremental, reproducible.

``run_batch(pipeline, targets, out, formats)`` is the entry point (see docs/batch.md).
Modules: ``plan`` (what needs work), ``engine`` (one clinic), ``local``/``remote``
(process pool, Dask), ``manifest``, ``files`` (atomic writes), ``runner``.
"""

from __future__ import annotations

from .runner import BatchReport, run_batch

__all__ = ["BatchReport", "run_batch"]
