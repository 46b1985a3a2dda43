"""The catalogue: every layer that plugins registered, and which of them apply to a target."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .errors import InputError, PolicystackError
from .ids import suggest
from .model import Layer, Note, Target


class Catalogue:
    """All registered layers by id; duplicate ids are an error naming both origins."""

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        self._layers: dict[str, Layer] = {}
        for layer in layers:
            self.add(layer)

    def add(self, layer: Layer) -> None:
        """Register one layer."""
        if not isinstance(layer, Layer):
            raise InputError(f"register() expects a Layer, got {type(layer).__name__}")
        existing = self._layers.get(layer.id)
        if existing is not None:
            raise InputError(f"layer id '{layer.id}' is registered twice: by {existing.origin or existing.plugin} "
                             f"and by {layer.origin or layer.plugin}", layer=layer.id)
        if layer.kind == "clinic" and not layer.when and layer.applies is None:
            raise InputError("a clinic layer registered by a plugin needs 'when' (e.g. {clinic.id: ...})",
                             layer=layer.id, file=layer.origin or None)
        self._layers[layer.id] = layer

    def __iter__(self) -> Iterator[Layer]:
        return iter(sorted(self._layers.values(), key=lambda l: (l.rank, l.id)))

    def __len__(self) -> int:
        return len(self._layers)

    def get(self, layer_id: str) -> Layer | None:
        return self._layers.get(layer_id)

    def of_kind(self, kind: str) -> list[Layer]:
        return [layer for layer in self if layer.kind == kind]

    # ------------------------------------------------------------ jurisdictions

    def jurisdiction(self, code: str, *, file: str | None = None) -> Layer:
        """The jurisdiction layer for ``code``; unknown codes are an error with suggestions."""
        layer = self._layers.get(code)
        if layer is None or layer.kind != "jurisdiction":
            known = [l.id for l in self.of_kind("jurisdiction")]
            raise InputError(f"unknown jurisdiction '{code}'", file=file,
                             hint=suggest(code, known) or f"known: {', '.join(known) or 'none'}")
        return layer

    def lineage(self, code: str, *, file: str | None = None) -> list[Layer]:
        """A jurisdiction and its parents, broadest first."""
        chain: list[Layer] = []
        layer: Layer | None = self.jurisdiction(code, file=file)
        while layer is not None:
            if layer in chain:
                raise InputError("jurisdiction parents form a cycle", layer=layer.id, file=layer.origin)
            chain.append(layer)
            if layer.parent is None:
                break
            parent = self._layers.get(layer.parent)
            if parent is None or parent.kind != "jurisdiction":
                raise InputError(f"parent jurisdiction '{layer.parent}' is not registered",
                                 layer=layer.id, file=layer.origin or None)
            layer = parent
        return chain[::-1]

    def depth(self, layer: Layer) -> int:
        """How many parents a jurisdiction has (0 for a country)."""
        return len(self.lineage(layer.id)) - 1 if layer.kind == "jurisdiction" else 0

    def ancestors(self, layer: Layer) -> set[str]:
        if layer.kind != "jurisdiction":
            return set()
        return {l.id for l in self.lineage(layer.id)[:-1]}

    # ------------------------------------------------------------ selection

    def select(self, target: Target, values: dict[str, Any]) -> tuple[list[Layer], dict[str, int], list[Note]]:
        """The layers that apply to ``target``, with each one's configured order, and notes.

        ``values`` are the target's variables (for ``when``). Unknown jurisdictions
        or organizations are errors naming the target file.
        """
        chosen: dict[str, Layer] = {}
        order: dict[str, int] = {}
        notes: list[Note] = []
        codes: list[str] = []
        for code in target.jurisdictions:
            for layer in self.lineage(code, file=target.origin or None):
                if layer.id not in codes:
                    codes.append(layer.id)
        for index, code in enumerate(codes):
            layer = self._layers[code]
            if matches(layer, target, values):
                chosen[code] = layer
                order[code] = index
        served = set(codes)
        all_professions = {p for l in self.of_kind("profession") for p in l.professions}
        for index, profession in enumerate(target.professions):
            if profession not in all_professions:
                raise InputError(f"unknown profession '{profession}'", file=target.origin or None,
                                 hint=suggest(profession, all_professions)
                                 or f"known: {', '.join(sorted(all_professions)) or 'none'}")
            found = False
            for layer in self.of_kind("profession"):
                if profession in layer.professions and (
                        not layer.jurisdictions or served & set(layer.jurisdictions)) \
                        and matches(layer, target, values):
                    chosen[layer.id] = layer
                    order.setdefault(layer.id, index)
                    found = True
            if not found:
                notes.append(Note(f"no profession layer for '{profession}' in {', '.join(codes)}"))
        if target.organization:
            layer = self._layers.get(target.organization)
            if layer is None or layer.kind != "organization":
                known = [l.id for l in self.of_kind("organization")]
                raise InputError(f"unknown organization '{target.organization}'", file=target.origin or None,
                                 hint=suggest(target.organization, known) or f"known: {', '.join(known) or 'none'}")
            if matches(layer, target, values):
                chosen[layer.id] = layer
                order[layer.id] = 0
        for kind in ("module", "clinic"):
            for layer in self.of_kind(kind):
                if matches(layer, target, values):
                    chosen[layer.id] = layer
                    order[layer.id] = 0
        return list(chosen.values()), order, notes


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(e, actual) for e in expected)
    if actual is None:
        return expected is None or expected is False
    return str(expected).strip().lower() == str(actual).strip().lower()


def matches(layer: Layer, target: Target, values: dict[str, Any]) -> bool:
    """Whether ``layer``'s ``when`` conditions and ``applies`` predicate accept ``target``."""
    for name, expected in layer.when.items():
        if not _same(expected, values.get(name)):
            return False
    if layer.applies is not None:
        try:
            return bool(layer.applies(target))
        except Exception as exc:  # a plugin's predicate failed
            raise PolicystackError(f"the layer's applies() raised {type(exc).__name__}: {exc}",
                                   layer=layer.id, file=layer.origin or layer.plugin or None) from exc
    return True
