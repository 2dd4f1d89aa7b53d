"""Who people are: unique valid identity numbers, Chinese names, phones and addresses, for whole arrays."""
from __future__ import annotations

import numpy as np

from dq.sample import codes, vocab
from dq.sample.frames import digits_text, join_text, pick

LOCAL_COUNTIES = tuple(vocab.DISTRICTS)


class IdFactory:
    """Issues 18-digit numbers never issued before in this city: the 17-digit body (region, birth date, sequence)
    is unique, so two people share a number only where a defect says so."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used = np.empty(0, dtype=np.int64)

    def issue(self, birth_d8: np.ndarray, male: np.ndarray, local_share: float = 0.8) -> np.ndarray:
        size = len(birth_d8)
        local = self._rng.random(size) < local_share
        region = np.where(local, pick(self._rng, LOCAL_COUNTIES, size), pick(self._rng, vocab.OTHER_COUNTIES, size))
        address = region.astype(np.int64)
        bodies = np.zeros(size, dtype=np.int64)
        pending = np.arange(size)
        while len(pending):
            sequence = self._rng.integers(0, 500, len(pending)) * 2 + male[pending]
            bodies[pending] = codes.id_body(address[pending], birth_d8[pending], sequence)
            _, first = np.unique(bodies, return_index=True)
            clash = np.ones(size, bool)
            clash[first] = False
            clash |= np.isin(bodies, self._used)
            pending = np.flatnonzero(clash)
        self._used = np.concatenate([self._used, bodies])
        return codes.id18(bodies)


def chinese_names(rng: np.random.Generator, size: int) -> np.ndarray:
    """Surname + one or two given characters; compound surnames are rare. No name is a placeholder."""
    compound = rng.random(size) < 0.01
    surname = np.where(compound, pick(rng, vocab.COMPOUND_SURNAMES, size), pick(rng, vocab.SURNAMES, size))
    first = pick(rng, vocab.GIVEN_CHARS, size)
    second = np.where(rng.random(size) < 0.7, pick(rng, vocab.GIVEN_CHARS, size), "")
    return join_text(surname, first, second)


def mobiles(rng: np.random.Generator, size: int) -> np.ndarray:
    return join_text("1", digits_text(rng, size, 10, first="35789"))


def landlines(rng: np.random.Generator, size: int) -> np.ndarray:
    return join_text("0419-", digits_text(rng, size, 7, first="2345678"))


def addresses(rng: np.random.Generator, districts: np.ndarray) -> np.ndarray:
    size = len(districts)
    number = rng.integers(1, 300, size).astype(str)
    return join_text("辽宁省辽阳市", districts, pick(rng, vocab.STREETS, size), number, "号")


def district_names(region_codes: np.ndarray) -> np.ndarray:
    lookup = np.vectorize(lambda c: vocab.DISTRICTS.get(c, "白塔区"), otypes=[object])
    return lookup(region_codes) if len(region_codes) else np.empty(0, dtype=object)
