"""Attack names as they appear in list files and folder names, mapped to taxonomy paths.

List files and dataset layouts name attacks with short words (`print`, `fakehead`, the WMCA per-attack
list names); a `FaceSample.attack` is the path of taxonomy node names from the top, only as deep as the
annotation knows. This static table is the one place those words meet the taxonomy
(recipes/taxonomy.yaml; a test checks every path against it).
"""

from __future__ import annotations

from pafas_cli.errors import PafasError

LIVE_PATH = ("Real Face",)
SPOOF_PATH = ("Spoof Face",)
_PMA = ("Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks")
_MASK = ("Spoof Face", "External Spoofing Attacks", "3D Mask Attacks")
_ACCESSORY = ("Spoof Face", "Partial Spoofing Attacks", "Partial Occlusion Attacks", "Accessory Attacks")
_COSMETIC = ("Spoof Face", "Partial Spoofing Attacks", "Facial Modification Attacks", "Cosmetic Attacks")

# slug -> taxonomy path. Coarse slugs (`print`, `replay`, `mask`) stop where the source stops knowing.
ATTACKS: dict[str, tuple[str, ...]] = {
    "live": LIVE_PATH,
    "spoof": SPOOF_PATH,
    "presentation-media": _PMA,
    "print": _PMA + ("Print Attacks",),
    "print-flat": _PMA + ("Print Attacks", "Flat Print Attack"),
    "print-wrapped": _PMA + ("Print Attacks", "Wrapped Print Attack"),
    "print-cut": _PMA + ("Print Attacks", "Cut Print Attack"),
    "replay": _PMA + ("Replay Attacks",),
    "replay-mobile": _PMA + ("Replay Attacks", "Mobile Screen Replay Attack"),
    "replay-large": _PMA + ("Replay Attacks", "Large Screen Replay Attack"),
    "mask": _MASK,
    "rigidmask": _MASK + ("Rigid Mask Attacks", "Rigid Resin Mask Attack"),
    "fakehead": _MASK + ("Rigid Mask Attacks", "Fake Head Attack"),
    "flexiblemask": _MASK + ("Soft Mask Attacks", "Flexible Silicone Mask Attack"),
    "papermask": _MASK + ("Soft Mask Attacks", "Paper Mask Attack"),
    "accessory": _ACCESSORY,
    "glasses": _ACCESSORY + ("Funny Eyeglasses Attack",),
    "paper-cutout": _ACCESSORY + ("Partial Paper Cutout Attack",),
    "makeup": _COSMETIC + ("Makeup Attack",),
    "tattoo": _COSMETIC + ("Tattoo Attack",),
}
# Aliases used by real releases (WMCA per-attack list names use `prints`/`papermask`, ...).
ALIASES = {"prints": "print", "real": "live", "bonafide": "live", "attack": "spoof"}

# WMCA (Idiap's BATL naming `client_session_presenter_type_pai`): the attack type and PAI ids of
# bob.db.batl's configuration, grouped the way WMCA's leave-one-out protocols group them (LOO_glasses,
# LOO_rigidmask, ...: rigid = plastic, transparent and custom wearable masks; replay = video and the
# "electronic" photos shown on a screen). type id -> ({pai ids: slug}, slug for any other pai).
_WMCA_FACIAL_DISGUISE = {**dict.fromkeys((1, 4, 5, 6, 7, 15, 16), "glasses"), 2: "rigidmask", 13: "rigidmask",
                         14: "rigidmask", **dict.fromkeys(range(8, 13), "accessory")}  # 8-12: wigs
_WMCA_FAKE_FACE = {**dict.fromkeys(range(1, 8), "fakehead"), **dict.fromkeys(range(8, 12), "papermask"),
                   **dict.fromkeys(range(12, 18), "rigidmask"), 18: "flexiblemask",
                   **dict.fromkeys(range(75, 100), "flexiblemask")}
WMCA_TYPES: dict[int, tuple[dict[int, str], str]] = {
    0: ({}, "live"),
    1: (_WMCA_FACIAL_DISGUISE, "spoof"),
    2: (_WMCA_FAKE_FACE, "mask"),
    3: (dict.fromkeys((5, 10, 15), "replay"), "print"),
    4: ({}, "replay"),
    5: ({}, "makeup"),
}


def wmca_attack(type_id: int, pai_id: int) -> str:
    """The attack slug of a WMCA video from its BATL type and PAI ids ("live" for type 0, "spoof" if unknown)."""
    pais, default = WMCA_TYPES.get(type_id, ({}, "spoof"))
    return pais.get(pai_id, default)


def attack_path(slug: str, where: str = "") -> tuple[str, ...]:
    """The taxonomy path of an attack word; a PafasError naming `where` for an unknown one."""
    key = ALIASES.get(slug.lower(), slug.lower())
    if key not in ATTACKS:
        known = ", ".join(ATTACKS)
        raise PafasError(f"{where + ': ' if where else ''}unknown attack type '{slug}' (known: {known})")
    return ATTACKS[key]


def slug_of(path: tuple[str, ...]) -> str:
    """The slug of a taxonomy path (inverse of `attack_path`)."""
    for slug, known in ATTACKS.items():
        if known == tuple(path):
            return slug
    raise KeyError(f"no attack slug for {path!r}")
