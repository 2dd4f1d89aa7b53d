"""Check characters of the three national identifiers (domain.md §3), computed for whole arrays at once.

GB 11643 (公民身份号码), GB 11714 (组织机构代码) and GB 32100 (统一社会信用代码). The generator issues only valid
numbers, so each invalid one in the city is an injected defect.
"""
from __future__ import annotations

import numpy as np

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"))
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ORG_CHECK = np.array(list("?123456789X0"))  # index = 11 - (sum mod 11)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_CHARS = np.array(list(USCC_ALPHABET))
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def _rows_to_text(chars: np.ndarray) -> np.ndarray:
    """(n, k) array of one-character strings → n strings (object array)."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars.astype("U1")).view(f"U{width}").ravel().astype(object)


def id_body(address: np.ndarray, birth_d8: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """The 17-digit body of an 18-digit number as one integer."""
    return address.astype(np.int64) * 10**11 + birth_d8.astype(np.int64) * 1000 + sequence.astype(np.int64)


def id18(bodies: np.ndarray) -> np.ndarray:
    """18-character numbers (GB 11643 MOD 11-2 check character appended)."""
    check = ID_CHECK[(_digits(bodies, 17) @ ID_WEIGHTS) % 11]
    return np.strings.add(bodies.astype("U17"), check).astype(object)


def id18_check(body17: str) -> str:
    """Check character of one 17-digit body (used when a defect rewrites a body and keeps the number valid)."""
    return str(ID_CHECK[sum(int(c) * int(w) for c, w in zip(body17, ID_WEIGHTS)) % 11])


def id15(number18: str) -> str:
    """The legacy 15-digit form (pre-1999) of an 18-digit number of someone born in the 1900s."""
    return number18[:6] + number18[8:17]


def org_codes(bodies: np.ndarray) -> np.ndarray:
    """9-character GB 11714 codes from (n, 8) arrays of body characters."""
    values = np.vectorize(ORG_VALUE.__getitem__, otypes=[np.int64])(bodies)
    check = ORG_CHECK[11 - (values @ ORG_WEIGHTS) % 11]
    return _rows_to_text(np.column_stack([bodies, check]))


def org_check(body8: str) -> str:
    return str(ORG_CHECK[11 - sum(ORG_VALUE[c] * int(w) for c, w in zip(body8, ORG_WEIGHTS)) % 11])


def uscc(prefixes: np.ndarray, regions: np.ndarray, org: np.ndarray) -> np.ndarray:
    """18-character GB 32100 codes: 2-char type prefix + 6-digit region + 9-char org code + check character."""
    heads = np.strings.add(np.strings.add(prefixes.astype("U2"), regions.astype("U6")), org.astype("U9"))
    chars = heads.view("U1").reshape(len(heads), 17)
    lookup = {c: i for i, c in enumerate(USCC_ALPHABET)}
    values = np.vectorize(lookup.__getitem__, otypes=[np.int64])(chars)
    check = USCC_CHARS[(31 - (values @ USCC_WEIGHTS) % 31) % 31]
    return np.strings.add(heads, check).astype(object)


def uscc_check(head17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * int(w) for c, w in zip(head17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]
