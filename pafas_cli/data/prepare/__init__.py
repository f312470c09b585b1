"""`pafas prepare`: a dataset release as its owners ship it -> the one layout `build-paths` reads.

`prepare(dataset, root, out, cfg)` plans the release's videos (one module per dataset: `casia_surf`,
`cefa`, `wmca` (HDF5 through h5py), `padisi` (NPZ through numpy, CSV through csv)), keeps
`data.prepare.frames` frames per video, writes each as RGB / depth / IR PNGs under `out/<D>/`, and
writes `out/<D>-{train,val,test}.txt` (`rgb depth ir label attack`, 1 = live) and the manifest
`out/<D>-prepare.json` (counts per split, label and attack; the rules applied; what was skipped).

Missing or unreadable files go through the same machinery as build-paths (`data.on_missing`,
`data.max_missing`, counted per split); lists that are far off the dataset's documented live share or
attack mix are named in a warning before anything is written, and so are files the plan already finds
missing beyond `data.max_missing`. Every file is written atomically, frames already written are kept, and the
lists and the manifest come last, so no list ever names a frame that is not there: a run that fails later
(frames unreadable while loading, beyond `data.max_missing`; a full disk; Ctrl-C) leaves complete frame files
only, which the next run keeps and continues from. A second run over a complete output writes nothing new.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from pafas_cli.data import registry
from pafas_cli.data.config import DataConfig
from pafas_cli.data.prepare.core import (
    PREPARE_VERSION, Video, file_digest, list_line, output_paths, save_png, write_text,
)
from pafas_cli.data.sample import LIVE, FaceSample
from pafas_cli.data.sources import check_root
from pafas_cli.data.sources.profiles import check_mix
from pafas_cli.data.sources.reading import SPLITS, Problems, list_name
from pafas_cli.errors import PafasError


@dataclass
class Prepared:
    """What one `prepare` run produced."""

    dataset: str
    domain: str
    out: Path
    lists: dict[str, Path]
    manifest: Path
    # split -> {"videos", "faces", "live", "spoof", "attacks": {slug: n}}
    counts: dict[str, dict]
    written: int
    kept: int
    skipped: dict[str, list[str]] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def prepare(dataset: str, root: str | Path, out: str | Path, cfg: DataConfig, progress: bool = True) -> Prepared:
    """Prepare one release into `out` (see the module docstring)."""
    from pafas_cli.console import make_progress, print_warning
    from pafas_cli.data.protocols import check_missing, options_of
    from pafas_cli.workspace import write_json

    if dataset not in registry.preparable():
        raise PafasError(f"pafas prepare: unknown dataset '{dataset}' (one of {', '.join(registry.preparable())})")
    started = time.perf_counter()
    source = registry.SOURCES[dataset]
    module, domain = source.prepare_module(), source.letter
    root = check_root(dataset, root).resolve()
    out = Path(out).expanduser().resolve()
    if out == root or root in out.parents:
        raise PafasError(f"--out {out} is inside the release {root}: write the prepared copy outside it (a later "
                         "run would take the prepared lists for the release's own)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PafasError(f"--out {out}: cannot create it ({exc.strerror or exc})") from None
    manifest_path = out / f"{domain}-prepare.json"
    rewrite = _previous_version(manifest_path) not in (None, PREPARE_VERSION)
    options = options_of(cfg)
    problems = {split: Problems(cfg.on_missing) for split in SPLITS}
    videos, info = module.plan(root, cfg, options, problems)

    warnings = []
    for split in SPLITS:
        planned = [FaceSample(f"{v.key}/{n}", v.label, v.attack, domain, split)
                   for v in videos if v.split == split for n in v.frame_names()]
        listed = ", ".join(map(str, info["lists"][split])) or "-"
        warnings += check_mix(planned, domain, f"{dataset} {split} ({listed})")
    if info.get("without_rgb"):
        warnings.append(f"wmca: {len(info['without_rgb'])} videos have no RGB HDF5 file (e.g. "
                        f"{info['without_rgb'][0]}); their RGB is the CDIT grey channel")
    if "client" in info.get("split_rule", ""):
        warnings.append(f"wmca: {info['split_rule']}; pass MMDG's W lists (data.train_list, ...) for the MMDG splits")
    for line in warnings:
        print_warning(line)
    # Files the plan already found missing are judged before any frame is written: a release that is mostly
    # missing (a wrong root or list) stops here and leaves nothing behind.
    planned = {split: sum(len(v.frame_names()) for v in videos if v.split == split) for split in SPLITS}
    check_missing(cfg, {s: problems[s].skipped for s in SPLITS},
                  {s: planned[s] + len(problems[s].skipped) for s in SPLITS})

    faces: dict[str, list[tuple[list[str], int, tuple[str, ...], str]]] = {split: [] for split in SPLITS}
    written = kept = 0
    with make_progress() if progress else nullcontext() as bar:
        task = bar.add_task(f"prepare {dataset}", total=len(videos)) if bar else None
        for video in videos:
            for frame, name in zip(video.frames, video.frame_names()):
                rels = output_paths(domain, video, name)
                targets = [out / rel for rel in rels]
                if not rewrite and all(t.is_file() for t in targets):
                    kept += 1
                else:
                    try:
                        images = module.load(video, frame)
                    except PafasError as exc:
                        problems[video.split].report(video.where, f"unreadable frame {frame}: {exc}")
                        continue
                    for image, target in zip(images, targets):
                        save_png(image, target)
                    written += 1
                faces[video.split].append((rels, video.label, video.attack, video.key))
            if bar:
                bar.advance(task)

    skipped = {split: problems[split].skipped for split in SPLITS}
    read = {split: len(faces[split]) + len(skipped[split]) for split in SPLITS}
    check_missing(cfg, skipped, read)
    for split in SPLITS:
        if not faces[split]:
            looked = ", ".join(map(str, info["lists"][split])) or "the release"
            reason = f"every frame was skipped, e.g. {skipped[split][0]}" if skipped[split] else "nothing planned"
            raise PafasError(f"pafas prepare {dataset}: no {split} faces from {looked}: {reason}")
    lists = {}
    for split in SPLITS:
        lines = sorted(list_line(rels, label, attack) for rels, label, attack, _ in faces[split])
        lists[split] = out / list_name(domain, split)
        write_text(lists[split], "".join(line + "\n" for line in lines))
    counts = {split: _counts(faces[split]) for split in SPLITS}
    seconds = round(time.perf_counter() - started, 2)
    write_json(manifest_path, {
        "version": PREPARE_VERSION, "dataset": dataset, "domain": domain, "root": str(root), "out": str(out),
        "settings": {"frames": cfg.prepare.frames, "padisi_fold": cfg.prepare.padisi_fold,
                     "label_polarity": cfg.label_polarity, "lists": cfg.lists,
                     "split_lists": dict(options.split_lists), "remap": dict(cfg.remap),
                     "on_missing": cfg.on_missing, "max_missing": cfg.max_missing},
        "rules": module.RULES, "sources": _sources(info),
        "lists": {split: {"path": path.name, "sha256": file_digest(path)} for split, path in lists.items()},
        "counts": counts, "frames_written": written, "frames_kept": kept,
        "skipped": {split: len(lines) for split, lines in skipped.items()},
        "skipped_first": {split: lines[:3] for split, lines in skipped.items() if lines},
        "warnings": warnings, "seconds": seconds,
    })
    return Prepared(dataset, domain, out, lists, manifest_path, counts, written, kept, skipped, read, warnings, seconds)


def _previous_version(path: Path) -> int | None:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def _counts(faces: list[tuple[list[str], int, tuple[str, ...], str]]) -> dict:
    from pafas_cli.data.attacks import slug_of

    attacks: dict[str, int] = {}
    for _, _, attack, _ in faces:
        attacks[slug_of(attack)] = attacks.get(slug_of(attack), 0) + 1
    return {"videos": len({key for *_, key in faces}), "faces": len(faces),
            "live": sum(label == LIVE for _, label, _, _ in faces),
            "spoof": sum(label != LIVE for _, label, _, _ in faces), "attacks": dict(sorted(attacks.items()))}


def _sources(info: dict) -> dict:
    """The release files the splits came from (with digests), the split rule and dataset extras."""
    files = {}
    for split, paths in info["lists"].items():
        files[split] = [{"path": str(p), "sha256": file_digest(Path(p))} for p in paths if Path(p).is_file()]
    return {"lists": files, **{k: v for k, v in info.items() if k != "lists"}}


__all__ = ["Prepared", "Video", "prepare"]
