"""build_city: the whole synthetic city, clean by construction, then broken on purpose, with its ground truth."""
from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from zlib import crc32

import numpy as np
import pandas as pd

from dq.sample.accounts import build_ic90, build_ic91, settle_transfers
from dq.sample.benefits import build_benefits, retirement_accounts
from dq.sample.draft import Draft
from dq.sample.inject import inject_all
from dq.sample.insured import build_insured
from dq.sample.manifest import build_manifest
from dq.sample.people import DEAD_RETIRED, RETIRED, build_people
from dq.sample.period import Period
from dq.sample.persona import IdFactory
from dq.sample.reference import build_aa10, build_aa_param, build_st_report
from dq.sample.units import build_units, unit_count
from dq.schema import load_schema


@dataclass
class City:
    """One frame per logical table (schema column order) and the manifest of injected defects."""

    tables: dict[str, pd.DataFrame]
    manifest: dict

    def write_manifest(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def seed_words(persons: int, seed: int, period: str) -> tuple[int, ...]:
    """What every random stream of one city is named after, besides its part."""
    return (seed, persons, int(period))


def clean_draft(persons: int, seed: int, period: str = "202410") -> Draft:
    """The whole city clean by construction, as a Draft ready for defects. Each part draws from its own random
    stream, named, so changing one part does not reshuffle the others."""
    audit = Period(period)
    words = seed_words(persons, seed, period)

    def rng(part: str) -> np.random.Generator:
        return np.random.default_rng([*words, crc32(part.encode())])

    ids = IdFactory(rng("ids"))
    units = build_units(rng("units"), ids, audit, unit_count(persons), max(20, unit_count(persons) // 50))
    people = build_people(rng("people"), ids, audit, persons, max(4, persons // 1000), units.ab01)
    facts = people.facts.iloc[:persons]
    insured = build_insured(rng("insured"), people.facts, people.ac01, units.ab01, audit)
    benefits = build_benefits(rng("benefits"), ids, people.facts, people.ac01, units.ab01, audit)
    tables = {
        "aa10": build_aa10(), "aa_param": build_aa_param(audit), "ab01": units.ab01, "ab07": insured.ab07,
        "ac01": people.ac01, "ac02": insured.ac02, "ac04": insured.ac04, "ac43": insured.ac43,
        "ic10": benefits.ic10, "ac61": benefits.ac61, "ac82": benefits.ac82, "ac26": benefits.ac26,
        "ac62": benefits.ac62,
        "ic91": build_ic91(rng("accounts"), people.facts, people.ac01, audit,
                           retirement_accounts(benefits, people.ac01["aac001"].to_numpy())),
        "ac90": benefits.ac90,
        "ext_death": benefits.ext_death,
    }
    tables["ic90"] = settle_transfers(build_ic90(rng("transfers"), people.facts, people.ac01, insured.ac02,
                                                 insured.owner, audit), tables["ic91"])
    retirees = np.flatnonzero(np.isin(facts["status"].to_numpy(), (RETIRED, DEAD_RETIRED)))
    ic10_of = np.full(persons, -1, dtype=np.int64)
    ic10_of[retirees] = np.arange(len(retirees))
    draft = Draft(audit, tables, facts, insured.owner, ic10_of, units.reserve, people.reserve)
    draft.claim("ab07", insured.protected_ab07)
    # The transfer kinds keep these persons' relations and contributions as the clean city has them (Z06, Z09,
    # Z11–Z13 read them); no other kind may change them.
    draft.claim("ac01", np.flatnonzero(people.ac01["aac001"].isin(tables["ic90"]["aac001"]).to_numpy()))
    return draft


def city_of(draft: Draft, persons: int, seed: int, period: str, active: Collection[int] | None = None) -> City:
    """The city with the `active` incidents of `draft` (all when None) and its ground truth, audited as of
    `period` (the monthly report is that month's)."""
    final = draft.frames(active)
    final["st_report"] = build_st_report(Period(period), final)
    final = {name: final[name] for name in load_schema().tables}
    hits = [hit for hit in draft.hits if active is None or hit.incident in active]
    manifest = build_manifest(persons, seed, period, final, hits)
    return City({name: frame.reset_index(drop=True) for name, frame in final.items()}, manifest)


def build_city(persons: int, seed: int, period: str = "202410") -> City:
    """The same (persons, seed, period) always gives the same city: clean, then every defect kind once."""
    draft = clean_draft(persons, seed, period)
    inject_all(draft, seed_words(persons, seed, period))
    return city_of(draft, persons, seed, period)
