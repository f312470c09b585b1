"""The FaceSample record every data source produces and every stage consumes.

Label polarity is fixed here once: 1 = live (bona fide), 0 = spoof. Sources convert on load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MODALITIES: tuple[str, ...] = ("rgb", "depth", "ir")
LIVE, SPOOF = 1, 0


@dataclass(frozen=True)
class FaceSample:
    """One face seen by up to three sensors.

    `attack` is the path of taxonomy node names from the top, as deep as the annotation knows:
    `("Real Face",)` for a live face, `("Spoof Face",)` for a spoof of unknown type, or e.g.
    `("Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks",
    "Flat Print Attack")`. Image paths are absolute; `None` means the modality is missing.
    """

    id: str
    label: int
    attack: tuple[str, ...]
    domain: str
    split: str
    rgb: str | None = None
    depth: str | None = None
    ir: str | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.label not in (LIVE, SPOOF):
            raise ValueError(f"sample {self.id}: label must be 1 (live) or 0 (spoof), got {self.label!r}")
        if not self.attack:
            raise ValueError(f"sample {self.id}: attack path is empty")

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities present, in the fixed order RGB, depth, IR."""
        return tuple(m for m in MODALITIES if getattr(self, m) is not None)

    def path_of(self, modality: str) -> str | None:
        return getattr(self, modality)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["attack"] = list(self.attack)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FaceSample":
        d = dict(d)
        d["attack"] = tuple(d["attack"])
        return cls(**d)
