"""Which defects exist, how many of each, and in what order they are injected.

A defect kind (dq.sample.kinds) is a function (draft, rng, count) that breaks `count` clean records and records
the rules that fail. The count is a fixed share of the rule's population (RATE), never below a minimum, so a
1 000-person city still fails every rule at least twice and a million-person city fails each in about 0.3 % of
its population. Kinds of the benefit, contribution and transfer tables live in their own defects_* modules, each
with its KINDS, appended after the core kinds below (a new module's kinds never change an earlier kind's rows).
"""
from __future__ import annotations

from zlib import crc32

import numpy as np

from dq.sample import defects_benefits, defects_deceased, defects_dependents, defects_transfers
from dq.sample import defects_insured as w
from dq.sample import defects_people as p
from dq.sample import defects_retirees
from dq.sample import defects_units as u
from dq.sample.defects_retirees import param
from dq.sample.draft import Draft
from dq.sample.kinds import DefectKind, kind

RATE = 0.003


# Unit kinds come first (U21 claims the members of the units it terminates before person kinds choose), and
# among them those that need units of a particular status.
_CORE: tuple[DefectKind, ...] = (
    kind(u.suspended_unit_marked_paying, "U20 U25", "ab01"),
    kind(u.terminated_unit_with_members, "U21", "ab01"),
    kind(u.no_base_this_year, "U25", "ab01"),
    kind(u.unit_without_number, "U01", "ab01"),
    kind(u.unit_registered_twice, "U02", "ab01", 1),
    kind(u.blank_unit_name, "U03", "ab01"),
    kind(u.alphanumeric_unit_name, "U04", "ab01"),
    kind(u.placeholder_unit_name, "U05", "ab01"),
    kind(u.same_name_twice, "U06", "ab01", 1),
    kind(u.missing_credit_code, "U07", "ab01"),
    kind(u.bad_credit_check, "U08", "ab01"),
    kind(u.lower_case_credit_copy, "U08", "ab01", 1),
    kind(u.shared_credit_code, "U09", "ab01", 1),
    kind(u.org_code_of_other_unit, "U10", "ab01"),
    kind(u.bad_org_check, "U11", "ab01"),
    kind(u.unknown_unit_type, "U12", "ab01"),
    kind(u.economic_type_mismatch, "U13", "ab01"),
    kind(u.bad_industry_or_affiliation, "U14", "ab01", 3),
    kind(u.region_outside_pool, "U15", "ab01", 3),
    kind(u.placeholder_legal_person, "U16", "ab01", 4),
    kind(u.bad_legal_person_id, "U17", "ab01"),
    kind(u.placeholder_contact, "U18", "ab01", 4),
    kind(u.bad_join_month, "U19", "ab01", 4),
    kind(u.unit_base_below_members, "U22", "ab07"),
    kind(u.unit_base_not_derived, "U23", "ab07"),
    kind(u.unit_base_changed_in_year, "U24", "ab07", 1),
    kind(p.duplicate_record, "P01", "ac01", 1),
    kind(p.record_without_number, "P01", "ac01", 1),
    kind(p.missing_number, "P02 P10", "ac01"),
    kind(p.wrong_length, "P03 P04 P10", "ac01"),
    kind(p.bad_characters, "P04 P05 P10", "ac01"),
    kind(p.wrong_check_character, "P05 P10", "ac01"),
    kind(p.impossible_birth_segment, "P06 P18", "ac01"),
    kind(p.unknown_province, "P07", "ac01"),
    kind(p.legacy_number, "P08", "ac01"),
    kind(p.registered_twice, "P04 P05 P08 P09 P10", "ac01", 3),
    kind(p.clone_still_paying, "P09 W03", "ac02", 1),
    kind(p.passport_as_id_card, "P10", "ac01"),
    kind(p.missing_name, "P11", "ac01"),
    kind(p.malformed_name, "P12 R29", "ac01"),
    kind(p.placeholder_name, "P13 R29", "ac01", 5),
    kind(p.missing_sex, "P14", "ac01"),
    kind(p.unknown_sex, "P15", "ac01"),
    kind(p.sex_swapped, "P16", "ac01"),
    kind(p.missing_birth, "P17", "ac01"),
    kind(p.birth_day_mistyped, "P18", "ac01"),
    kind(p.invalid_birth, "P18 P19 P21", "ac01", 3),
    kind(p.missing_work_date, "P20", "ac01"),
    kind(p.work_on_birthday, "P21 P22", "ac01"),
    kind(p.child_labour, "P22", "ac01"),
    kind(p.invalid_work_date, "P23 W07 R03 R14 R15", "ac01", 4),
    kind(p.default_work_date, "P24", "ac01"),
    kind(p.bad_person_codes, "P25", "ac01", 3),
    kind(p.placeholder_person_contact, "P26", "ac01", 4),
    kind(w.bad_scheme, "W01", "ac02"),
    kind(w.duplicate_relation, "W02", "ac02", 1),
    kind(w.also_civil_service, "W04", "ac02", 1),
    kind(w.also_resident_scheme, "W05", "ac02", 1),
    kind(w.missing_first_month, "W06", "ac02"),
    kind(w.insured_before_work, "W07", "ac02"),
    kind(w.bad_first_month, "W08 W09", "ac02"),
    kind(w.segment_before_first, "W09", "ac02"),
    kind(w.bad_state_codes, "W10", "ac02"),
    kind(w.paying_with_end_date, "W11", "ac02"),
    kind(w.stopped_without_end_date, "W12", "ac02"),
    kind(w.paying_without_base, "W13", "ac02", 3),
    kind(w.stopped_with_base, "W14", "ac02"),
    kind(w.unknown_unit, "W15", "ac02"),
    kind(w.overage_still_paying, "W16", "paying110"),
    kind(w.retired_too_young, "W17 R05", "retirees"),
    kind(w.retirement_flag_mismatch, "W18", "ac01"),
)

KINDS: tuple[DefectKind, ...] = (*_CORE, *defects_retirees.KINDS, *defects_benefits.KINDS, *defects_dependents.KINDS,
                               *defects_transfers.KINDS, *defects_deceased.KINDS)


def population_size(d: Draft, population: str) -> int:
    if population == "retirees":
        return int((d.col("ac01", "aac084") == "1").sum())
    if population == "deceased":
        return int((d.col("ac01", "aac060") == param("dead").value).sum())
    if population == "paying110":
        return int(((d.col("ac02", "aae140") == "110") & (d.col("ac02", "aac031") == "1")).sum())
    return len(d.tables[population])


def kind_count(d: Draft, defect: DefectKind, rate: float = RATE) -> int:
    return max(defect.minimum, round(rate * population_size(d, defect.population)))


def inject_all(d: Draft, seed_words: tuple[int, ...], *, part_size: int | None = None) -> dict[str, int]:
    """Run every kind with its own named random stream; returns how many records each broke. Each kind's call is
    one incident, or with `part_size` one incident per `part_size` records, never fewer than the kind's minimum (the evolving city fixes and brings
    back errors incident by incident, so its incidents are small)."""
    counts = {}
    for defect in KINDS:
        count = kind_count(d, defect)
        rng = np.random.default_rng([*seed_words, crc32(defect.name.encode())])
        for part in _parts(count, max(part_size or count, defect.minimum)):
            d.begin(defect.name)
            defect.inject(d, rng, part)
        counts[defect.name] = count
    return counts


def _parts(count: int, size: int) -> list[int]:
    """`count` split into pieces of `size`; a remainder of one record joins the last piece."""
    pieces = [size] * (count // size)
    if count % size:
        if pieces and count % size < 2:
            pieces[-1] += count % size
        else:
            pieces.append(count % size)
    return pieces
