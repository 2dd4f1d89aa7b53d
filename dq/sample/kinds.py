"""What a defect kind is: the function that breaks records, the rules it makes fail and what its count scales with.

Each defects_* module lists its own kinds (KINDS) with `kind`; dq.sample.inject runs them all in a fixed order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dq.sample.draft import Draft


@dataclass(frozen=True)
class DefectKind:
    inject: Callable[[Draft, np.random.Generator, int], None]
    rules: tuple[str, ...]  # every rule this kind can make fail
    population: str  # what RATE applies to: a table, or 'retirees' / 'paying110' / 'deceased'
    minimum: int = 2

    @property
    def name(self) -> str:
        return self.inject.__name__


def kind(inject: Callable[[Draft, np.random.Generator, int], None], rules: str, population: str,
         minimum: int = 2) -> DefectKind:
    """A kind from its function, its rules as one space-separated string, its population and minimum count."""
    return DefectKind(inject, tuple(rules.split()), population, minimum)
