"""A scene's text: one sentence per sensor (RGB, Depth, IR) saying what it shows, from the scene's ground truth.

The words are the reasoning tree's observation vocabulary (recipes/reasoning_tree.yaml): where one of its
phrases is true of an object that is not a face it is used as it stands ("grey paper reflectance", "a smooth
cylindrical bend", "patchy depth on glossy glass", "a waxy glow without skin detail"), otherwise it is said of
the object ("a dark screen with almost no image" for "... almost no face"). Sentences follow the tree's step
template without its conclusion ("{modality} shows {obs}."). No text names a taxonomy class, a live/spoof
word or a conclusion marker; pafas_cli/pretrain/leaks.py checks, and the tests scan every text.
"""

from __future__ import annotations

import colorsys

import numpy as np

from pafas_cli.data.pretrain.patterns import PATTERNS
from pafas_cli.data.pretrain.truth import TILT_DEG
from pafas_cli.data.synth.domains import Domain

MODALITY_NAMES = {"rgb": "RGB", "depth": "Depth", "ir": "IR"}
TEMPLATES = ("{modality} shows {obs}.", "{modality}: {obs}.", "In {modality}, {obs}.", "{modality} reveals {obs}.")
# The most observations one sentence strings together.
PER_SENTENCE = 3

# Object kind -> modality -> what the sensor shows of it (one phrase is picked).
PRIMARY: dict[str, dict[str, tuple[str, ...]]] = {
    "paper": {
        "rgb": ("paper grain and halftone dots", "matte paper with faded colours", "printing dots and paper edges",
                "an intact flat printed sheet", "a straight unbent sheet", "a flat reproduced image"),
        "depth": ("one perfectly flat plane", "a planar sheet with no curvature", "a thin sheet in front of the camera",
                  "no bending of the sheet"),
        "ir": ("grey paper reflectance", "uniform paper brightness", "even reflectance across a flat sheet",
               "paper reflectance instead of darkness"),
    },
    "paper-bent": {
        "rgb": ("a printed sheet bent into a curve", "curved paper edges", "paper grain and halftone dots"),
        "depth": ("a smooth cylindrical bend", "a curved sheet with no other detail", "a sheet curved like a cylinder"),
        "ir": ("brightness falling off along the bend", "shading that follows a paper curve"),
    },
    "paper-folded": {
        "rgb": ("printed paper with crease lines", "crease lines across a printed sheet", "paper creases with sharp edges"),
        "depth": ("coarse folded paper relief", "angular paper folds"),
        "ir": ("flat paper reflectance", "grey paper reflectance broken by folds"),
    },
    "paper-holes": {
        "rgb": ("holes cut in the sheet", "a printed sheet with cut-out holes", "a paper cutout with holes"),
        "depth": ("a flat sheet with deeper holes", "depth jumps at the openings", "deeper spots at the holes"),
        "ir": ("grey paper reflectance", "the darker wall through the holes"),
    },
    "phone": {
        "rgb": ("a small phone screen with a bezel", "a hand-held phone display", "a pixel grid and display bezel",
                "recapture artefacts and flat colours"),
        "depth": ("a small flat patch", "a phone-sized flat panel", "a rigid glass panel", "a flat area only phone-sized"),
        "ir": ("a small dark rectangle", "a phone-sized dark area", "a dark screen with almost no image",
               "only a small dark rectangle"),
    },
    "monitor": {
        "rgb": ("tablet or monitor edges with wide glare", "a large display filling the view",
                "moire stripes and screen glare", "over-bright screen colours", "a screen larger than a phone"),
        "depth": ("a wide flat panel", "a large glass surface", "a rigid glass panel", "a flat panel wider than a phone"),
        "ir": ("a large dark panel", "a wide dark screen area", "a dark screen with almost no image",
               "a dark area wider than a phone"),
    },
    "resin": {
        "rgb": ("a hard glossy sculpted surface", "a stiff shell with painted colour", "a sculpted surface with volume"),
        "depth": ("full relief from a solid object", "stiff overly smooth relief", "rigid relief without soft tissue",
                  "an entirely artificial surface"),
        "ir": ("uniform resin-like reflectance", "a hard shell with even brightness",
               "uniform material reflectance over a 3D shape"),
    },
    "silicone": {
        "rgb": ("a pliable surface with folds or wrinkles", "soft material creasing", "silicone with a slight sheen",
                "a pliable surface with creases"),
        "depth": ("slightly deformed relief", "soft relief with fine wrinkles", "smooth detailed relief"),
        "ir": ("a waxy glow without skin detail", "smooth silicone reflectance without pores", "an even waxy glow",
               "soft material lacking skin texture"),
    },
    "vinyl": {
        "rgb": ("a smooth vinyl surface with painted colour", "a glossy moulded plastic surface",
                "a synthetic pore-less surface"),
        "depth": ("one solid rounded shape", "a complete rigid shape"),
        "ir": ("the same material all over", "uniform material reflectance over a 3D shape",
               "no skin glow on a 3D shape", "an artificial material all over"),
    },
    "skin": {
        "rgb": ("natural skin pores and soft shading", "fine skin texture with natural highlights",
                "a patch of bare skin"),
        "depth": ("smooth continuous relief", "a soft rounded surface"),
        "ir": ("natural skin glow", "even skin reflectance", "living-skin reflectance"),
    },
    "glasses": {
        "rgb": ("a glasses frame with clear lenses", "thin frames with see-through lenses",
                "a frame with the wall visible behind the lenses"),
        "depth": ("a thin frame standing off the wall", "a frame with open lenses"),
        "ir": ("a thin frame over darker lenses", "lenses with a bright glare", "bright glints on the lenses"),
    },
    "fabric": {
        "rgb": ("woven fabric with a fine weave", "soft cloth with dyed colours"),
        "depth": ("soft rounded folds", "a draped surface with gentle folds"),
        "ir": ("even cloth reflectance with the dye barely visible", "bright fabric reflectance"),
    },
    "wood": {
        "rgb": ("wood grain in warm colours", "a board with wood grain"),
        "depth": ("one perfectly flat plane", "a rigid flat board"),
        "ir": ("bright wood reflectance with faint grain", "even reflectance across a flat board"),
    },
}
# What a skin patch carries -> modality -> what the sensor shows of it.
OVERLAY: dict[str, dict[str, tuple[str, ...]]] = {
    "ink": {"rgb": ("inked patterns drawn on the skin", "tattoo lines across the skin", "painted or drawn skin areas",
                    "altered skin with nothing attached"),
            "depth": ("ink with no relief change",),
            "ir": ("dark ink patterns on skin", "ink showing as dark lines")},
    "pigment": {"rgb": ("cosmetic colouring on the skin", "pigment applied to the skin", "painted or drawn skin areas",
                        "altered skin with nothing attached"),
                "depth": ("relief unchanged by pigment",),
                "ir": ("pigment patches on skin", "cosmetic layers dimming the skin",
                       "skin glow with local pattern changes")},
    "paper-patch": {"rgb": ("a printed paper patch on the skin", "a paper piece over part of the skin",
                            "a local foreign element on the skin", "a paper cutout over part of the skin"),
                    "depth": ("a thin flat patch over a region", "an extra layer over part of the skin",
                              "a local object on the skin", "a patch layered over the skin"),
                    "ir": ("flat paper reflectance on one region", "a region reflecting unlike skin",
                           "skin with an odd local patch", "a covered region without skin glow")},
}
# What bare skin (no overlay) shows besides its own look: the absence of anything on it.
BARE_SKIN: dict[str, tuple[str, ...]] = {
    "rgb": ("nothing attached to the skin", "no pigment on the skin"),
    "ir": ("skin glow across the whole patch", "no dark ink lines"),
}
# Measured attributes -> what the sensor shows.
MEASURED: dict[str, tuple[str, ...]] = {
    "depth.patchy": ("scattered depth dropouts", "patchy depth with holes"),
    "depth.near": ("a surface close to the camera", "a surface near the camera"),
    "ir.hotspot": ("a bright hotspot of the illuminator", "a specular glare spot"),
    "ir.pattern": ("a printed pattern still visible", "the printed pattern showing through"),
    "ir.dim": ("a dim image", "low brightness overall"),
}
GLASS_DROPOUTS = "patchy depth on glossy glass"
# Depth dropouts below this share of the object read as clean depth.
CLEAN = 0.01
WASHED_OUT = ("washed-out ink", "the printed pattern barely visible")
FAR_M = 0.95


def caption(kind: str, overlay: str | None, facts: dict, names: list[str], measures: dict, rig: Domain,
            rng: np.random.Generator) -> str:
    """The three sentences (RGB, Depth, IR) of one scene; `rng` picks among equivalent phrasings."""
    attrs = set(names)

    def pick(options: tuple[str, ...]) -> str:
        return str(options[rng.integers(len(options))])

    said: dict[str, list[str]] = {m: [pick(PRIMARY[kind][m])] for m in MODALITY_NAMES}
    if overlay:
        for m in MODALITY_NAMES:
            said[m].append(pick(OVERLAY[overlay][m]))
    elif kind == "skin":
        for m, options in BARE_SKIN.items():
            said[m].append(pick(options))
    if "pattern" in facts:
        shown = "displayed" if kind in ("phone", "monitor") else "printed"
        said["rgb"].append(f"a {shown} {PATTERNS[facts['pattern']]}")
    if kind in ("resin", "silicone", "vinyl", "fabric", "glasses"):
        said["rgb"].append(f"a mostly {colour_name(measures['colour'])} colour")
    if kind == "skin":
        said["rgb"].append(f"{facts['tone']}-toned skin of a {facts['part']}")
    said["rgb"] += _view(measures, rig, rng, coverage=kind != "monitor")
    if "depth.near" in attrs:
        said["depth"].append(pick(MEASURED["depth.near"]))
    if "depth.patchy" in attrs:
        said["depth"].append(GLASS_DROPOUTS if kind in ("phone", "monitor") else pick(MEASURED["depth.patchy"]))
    elif kind in ("paper", "wood") and measures["dropouts"] < CLEAN:
        said["depth"].append("a matte sheet with clean depth" if kind == "paper" else "clean depth everywhere")
    if measures["distance_m"] > FAR_M:
        said["depth"].append("a surface far from the camera")
    if "depth.planar" in attrs and measures["tilt_deg"] > TILT_DEG:
        said["depth"].append(f"a tilt with the {measures['nearer']} side nearer")
    for name in ("ir.hotspot", "ir.pattern", "ir.dim"):
        if name in attrs:
            said["ir"].append(pick(MEASURED[name]))
    if kind.startswith("paper") and "ir.pattern" not in attrs:
        said["ir"].append(pick(WASHED_OUT))
    if rig.outdoor:
        said["ir"].append("sunlight adding glow")
    if rig.ir_noise > 0.045:
        said["ir"].append("a grainy image")
    return " ".join(_sentence(MODALITY_NAMES[m], phrases[:PER_SENTENCE], rng) for m, phrases in said.items())


def _view(measures: dict, rig: Domain, rng: np.random.Generator, coverage: bool) -> list[str]:
    """How the RGB camera sees the scene: the object's share of the view, sunlight, blur, noise, a cut-out."""
    out = []
    if rig.remove_background:
        out.append("the background blacked out")
    if rig.outdoor:
        out.append("strong sunlight")
    if coverage and measures["coverage"] > 0.55:
        out.append("an object filling most of the view")
    elif coverage and measures["coverage"] < 0.15:
        out.append("a small object in the view")
    if rig.rgb_blur > 1.3 or rig.rgb_down > 2.0:
        out.append("a soft, blurred image")
    if rig.rgb_noise > 0.035:
        out.append("grainy colours")
    rng.shuffle(out)
    return out


def _sentence(modality: str, phrases: list[str], rng: np.random.Generator) -> str:
    obs = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    text = str(TEMPLATES[rng.integers(len(TEMPLATES))]).format(modality=modality, obs=obs)
    return text[0].upper() + text[1:]


def colour_name(rgb: list[float]) -> str:
    """A plain colour word for a linear RGB colour (grey, white, black, or a hue)."""
    r, g, b = (max(c, 0.0) for c in rgb)
    top = max(r, g, b, 1e-6)
    hue, _, sat = colorsys.rgb_to_hls(r / top, g / top, b / top)
    if top < 0.08:
        return "black"
    if sat < 0.25 or max(r, g, b) - min(r, g, b) < 0.12 * top:
        return "white" if top > 0.8 else "grey"
    names = ((0.04, "red"), (0.11, "orange"), (0.19, "yellow"), (0.45, "green"), (0.55, "cyan"), (0.72, "blue"),
             (0.86, "purple"), (0.96, "pink"), (1.01, "red"))
    return next(name for edge, name in names if hue < edge)
