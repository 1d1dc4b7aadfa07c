"""Reads of the catalogue. The catalogue is not organisation data: every signed-in user
may read every pack, so nothing here is scoped to a user.

"Latest" means the most recently loaded version of a pack (not the highest version
string): loading a pack is how a new version is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from apps.catalogue.models import Control, Pack, Scenario, Section
from apps.catalogue.schema import iter_tree

NEWEST_FIRST = ("-loaded_at", "-pk")
EVIDENCE_LABELS = {
    "documented": "documented",
    "documented-elsewhere": "documented for another operation of the same actor",
    "inferred": "inferred",
}


def _latest_per_slug() -> QuerySet[Pack]:
    newest = Pack.objects.filter(slug=OuterRef("slug")).order_by(*NEWEST_FIRST).values("pk")[:1]
    return Pack.objects.filter(pk=Subquery(newest))


def pack_list_latest() -> QuerySet[Pack]:
    """The latest version of every pack, by slug, with `section_count`, `control_count`
    and `scenario_count` annotated (one query)."""
    counts = {
        "section_count": Section,
        "control_count": Control,
        "scenario_count": Scenario,
    }
    packs = _latest_per_slug()
    for name, model in counts.items():
        count = (
            model.objects.filter(pack=OuterRef("pk"))
            .order_by()
            .values("pack")
            .annotate(n=Count("pk"))
            .values("n")
        )
        packs = packs.annotate(**{name: Subquery(count)})
    return packs.order_by("slug")


def pack_list_for_audience(*, audience: str) -> list[Pack]:
    """The latest version of every pack whose `audiences` include `audience`."""
    # Filtered in Python: JSON containment is not available on SQLite, and there are only
    # a handful of packs.
    return [pack for pack in pack_list_latest() if audience in pack.audiences]


def pack_latest(*, slug: str) -> Pack:
    """The latest version of the pack `slug`; Http404 if no version is loaded."""
    pack = Pack.objects.filter(slug=slug).order_by(*NEWEST_FIRST).first()
    if pack is None:
        raise Http404("No such pack.")
    return pack


def pack_get(*, slug: str, version: str | None = None) -> Pack:
    """One version of a pack (the latest when `version` is None); Http404 if unknown."""
    if version is None:
        return pack_latest(slug=slug)
    try:
        return Pack.objects.get(slug=slug, version=version)
    except Pack.DoesNotExist:
        raise Http404("No such pack version.") from None


def pack_version_list(*, slug: str) -> QuerySet[Pack]:
    """Every loaded version of a pack, newest first (for "other versions" links)."""
    return (
        Pack.objects.filter(slug=slug)
        .order_by(*NEWEST_FIRST)
        .only("public_id", "slug", "version", "loaded_at")
    )


def section_list(*, pack: Pack) -> QuerySet[Section]:
    """The pack's sections in order, each with its controls prefetched in order."""
    return (
        Section.objects.filter(pack=pack)
        .order_by("order")
        .prefetch_related(Prefetch("controls", queryset=Control.objects.order_by("order")))
    )


def control_list(*, pack: Pack) -> QuerySet[Control]:
    """The pack's controls in document order, with their section."""
    return Control.objects.filter(pack=pack).select_related("section").order_by("order")


def scenario_list(*, pack: Pack) -> QuerySet[Scenario]:
    """The pack's scenarios (attack trees) in order."""
    return Scenario.objects.filter(pack=pack).order_by("order")


def scenario_titles(*, keys) -> dict[str, str]:
    """Scenario key -> title, as the newest loaded pack version that has it says (one
    query). Keys no pack knows are left out."""
    rows = (
        Scenario.objects.filter(key__in=set(keys))
        .order_by("pack__loaded_at", "pk")
        .values_list("key", "title")
    )
    return dict(rows)  # newer versions come later and win


# --- the pack page ------------------------------------------------------------------
@dataclass
class TreeNodeView:
    """One attack-tree node ready to draw: ids and titles resolved."""

    id: str
    op: str
    title: str
    step: str = ""  # the plain phrase: what blocking this node does for the person
    p0: float | None = None
    attack: list[str] = field(default_factory=list)
    mitigations: list[dict] = field(default_factory=list)  # control, title, role, effectiveness
    evidence_kind: str = ""
    evidence_sources: list[dict] = field(default_factory=list)
    evidence_note: str = ""
    children: list[TreeNodeView] = field(default_factory=list)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS.get(self.evidence_kind, self.evidence_kind)

    @property
    def p0_percent(self) -> int | None:
        return None if self.p0 is None else round(self.p0 * 100)


@dataclass
class ScenarioView:
    scenario: Scenario
    bands: list[tuple[str, float]]
    tree: TreeNodeView
    leaf_count: int


@dataclass
class PackPage:
    """Everything the pack page shows, read in five queries whatever the pack's size."""

    pack: Pack
    sources: list[dict]
    sections: list[Section]
    scenarios: list[ScenarioView]
    versions: list[Pack]


def pack_page(*, slug: str, version: str | None = None) -> PackPage:
    """The pack page's content: sections and controls (references resolved to sources),
    and each scenario's tree with mitigating controls' titles. Http404 if unknown."""
    pack = pack_get(slug=slug, version=version)
    sources = {source["id"]: source for source in pack.sources}
    sections = list(section_list(pack=pack))
    control_titles = {}
    for section in sections:
        for control in section.controls.all():
            control_titles[control.key] = control.title
            control.reference_sources = [
                sources[ref] for ref in control.references if ref in sources
            ]
    scenarios = []
    for scenario in scenario_list(pack=pack):
        tree = _node_view(scenario.tree, control_titles, sources)
        scenarios.append(
            ScenarioView(
                scenario=scenario,
                bands=sorted(scenario.bands.items(), key=lambda item: item[1]),
                tree=tree,
                leaf_count=sum(1 for node, _ in iter_tree(scenario.tree) if node["op"] == "leaf"),
            )
        )
    return PackPage(
        pack=pack,
        sources=pack.sources,
        sections=sections,
        scenarios=scenarios,
        versions=list(pack_version_list(slug=pack.slug)),
    )


def _node_view(node: dict, control_titles: dict, sources: dict) -> TreeNodeView:
    evidence = node.get("evidence") or {}
    return TreeNodeView(
        id=node["id"],
        op=node["op"],
        title=node["title"],
        step=node.get("step", ""),
        p0=node.get("p0") if node["op"] == "leaf" else None,
        attack=node.get("attack", []),
        mitigations=[
            {
                "control": m["control"],
                "title": control_titles.get(m["control"], ""),
                "role": m["role"],
                "effectiveness_percent": round(m["effectiveness"] * 100),
                "reason": m.get("reason", ""),
            }
            for m in node.get("mitigations", [])
        ],
        evidence_kind=evidence.get("kind", ""),
        evidence_sources=[sources[s] for s in evidence.get("sources", []) if s in sources],
        evidence_note=evidence.get("note", ""),
        children=[_node_view(child, control_titles, sources) for child in node.get("children", [])],
    )
