"""`hotline route`: show how the router would dispatch a message (or a file of messages)."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from nlp.centre import CentreCatalogue
    from nlp.router import RouteDecision

# Routes a batch of messages (with a model, the TF-IDF work is done once per batch).
RouteMany = Callable[[Sequence[str], str | None], list["RouteDecision"]]
# Lines routed together with --file: large enough to amortise scikit-learn's per-call cost.
_BATCH = 256


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "route", help="route a message: category, unit, place, confidence and reasons"
    )
    parser.add_argument("text", nargs="?", help="the message (omit with --file)")
    parser.add_argument("--json", action="store_true", help="print JSON (one object per message)")
    parser.add_argument("--file", metavar="PATH", help="UTF-8 file, one message per line")
    parser.add_argument("--place", metavar="NAME", default=None, help="place hint (subdistrict)")
    parser.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="a learned model (hotline nlp train); default: [router] model, else keywords only",
    )
    parser.set_defaults(func=run)


def _load(args: argparse.Namespace) -> tuple[RouteMany, CentreCatalogue | None, str | None]:
    # Only the [directory] and [router] tables: building every settings model would cost a
    # third of the start-up. pydantic's plugin look-up reads the metadata of every installed
    # package (0.1 s); the project has no pydantic plugin (an explicit setting is kept).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from bot.routersettings import load_route_settings
    from nlp.centre import find_centre_catalogue
    from nlp.router import Router

    settings = load_route_settings(args.config)
    router = Router.load(settings.directory.data_dir)
    centre = find_centre_catalogue(settings.router.centre_catalogue, router.directory)
    model_path = Path(args.model) if args.model else settings.router.model
    if model_path is None:
        # Keywords only: scikit-learn is never imported on this path (start-up ≤ 1 s).
        return (lambda texts, hint: [router.route(t, place_hint=hint) for t in texts]), centre, None
    # One core, as the target says: the model's products (one message × 53 labels) are
    # far too small for OpenBLAS's thread pool, whose start-up alone costs 0.1 s of CPU on a
    # second core. Set before numpy is first imported (the keyword path never imports it).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from nlp.learn.modelfile import load_model
    from nlp.learn.routing import LearnedRouter

    loaded = load_model(model_path, router)
    learned = LearnedRouter(router, loaded.model, loaded.meta.label_kind)
    return (lambda texts, hint: learned.route_many(texts, place_hint=hint)), centre, model_path.name


def _readable(decision: RouteDecision, centre: dict[str, Any] | None) -> str:
    d = decision
    lines = []
    if d.emergency:
        lines.append(f"!! 紧急情况 emergency: 请立即拨打 {d.emergency}")
    lines.append(f"类别 category:    {d.category or '-'} / {d.subcategory or '-'}")
    if d.unit:
        lines.append(f"承办单位 unit:    {d.unit} ({d.unit_kind})")
    elif d.needs_place:
        lines.append("承办单位 unit:    - (属地事项 territorial: place unknown, ask the resident)")
    else:
        lines.append("承办单位 unit:    - (to the dispatcher 待派单)")
    if centre is not None:
        lines.append(
            f"中心目录 centre:  {centre['label'] or '-'} -> {centre['unit'] or '-'}"
            f" ({centre['centre']})"
        )
    lines.append(f"置信度 confidence: {d.confidence:.2f}")
    lines.append(f"依据 matched:     {', '.join(d.matched) or '-'}")
    place = d.place or "-"
    if d.subdistrict:
        place += f" ({d.subdistrict})"
    lines.append(f"地点 place:       {place}")
    for alt in d.alternatives:
        lines.append(
            f"  备选 alternative: {alt.category}/{alt.subcategory} -> {alt.unit or '-'}"
            f" ({alt.confidence:.2f})"
        )
    return "\n".join(lines)


def _lines(handle: TextIO) -> Iterator[str]:
    """The file's lines as str.splitlines() gives them, read as they come (a large file is
    never held whole)."""
    for raw in handle:
        yield from raw.splitlines() or [""]


def run(args: argparse.Namespace) -> int:
    from nlp.errors import NlpError

    if args.file is None and args.text is None:
        print("hotline route: give a TEXT or --file PATH", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if args.file is None:
            lines: Iterator[str] = iter([args.text])
        else:
            try:
                lines = _lines(stack.enter_context(open(args.file, encoding="utf-8")))
            except OSError as exc:
                print(f"hotline route: cannot read {args.file}: {exc}", file=sys.stderr)
                return 2
        try:
            route_many, centre, model_name = _load(args)
        except NlpError as exc:
            print(f"hotline route: {exc}", file=sys.stderr)
            return 2
        try:
            _write(args, lines, route_many, centre, model_name)
        except UnicodeDecodeError as exc:  # met while reading on: the lines before are out
            sys.stdout.flush()
            print(f"hotline route: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
    return 0


def _write(
    args: argparse.Namespace,
    lines: Iterator[str],
    route_many: RouteMany,
    centre: CentreCatalogue | None,
    model_name: str | None,
) -> None:
    """Route the lines in batches and write each batch's answers before reading on."""
    out = sys.stdout
    i = 0
    while batch := list(itertools.islice(lines, _BATCH)):
        for decision in route_many(batch, args.place):
            mapped = centre.map(decision) if centre is not None else None
            if args.json:
                data = decision.to_json()
                if mapped is not None:
                    data["centre"] = mapped
                if model_name is not None:
                    data["model"] = model_name
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
            else:
                if i:
                    out.write("\n")
                out.write(_readable(decision, mapped) + "\n")
            i += 1
