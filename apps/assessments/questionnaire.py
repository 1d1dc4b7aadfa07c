"""A display-oriented, cached index of one pack version: what the questionnaire shows.

The scoring engine compiles `Pack.content` for arithmetic; this index serves the pages:
sections in order, each control's question and answer options, and for every control the
attack steps it blocks ("why this matters"), read from the scenario leaves that list it in
their mitigations. A pack version never changes once loaded, so the index is built once per
process per (pack id, content hash) and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from threading import Lock

# The standard answer scale of docs/PACK_FORMAT.md, used when a control lists no answers.
STANDARD_ANSWERS: tuple[dict, ...] = (
    {"key": "yes", "label": "Yes", "level": 1},
    {"key": "partly", "label": "Partly", "level": 0.5},
    {"key": "no", "label": "No", "level": 0},
    {"key": "unsure", "label": "I'm not sure", "level": 0},
    {"key": "na", "label": "Does not apply to me", "level": "na"},
)
UNSURE_KEY = "unsure"


@dataclass(frozen=True)
class AnswerOption:
    key: str
    label: str
    level: float | None  # None: not applicable

    @property
    def is_unsure(self) -> bool:
        return self.key == UNSURE_KEY


@dataclass(frozen=True)
class BlockedStep:
    """One attack step (a scenario leaf) that a control helps to block."""

    scenario_id: str
    scenario_title: str
    step_title: str
    # The node's plain `step` phrase ("stop the tracking picture reporting where you
    # are"); empty in packs written before the field existed.
    phrase: str = ""


@dataclass(frozen=True)
class QuestionDef:
    id: str
    section_id: str
    order: int
    title: str
    question: str
    help: str
    options: tuple[AnswerOption, ...]
    effort: str
    critical: bool
    remediation: tuple[str, ...]
    blocks: tuple[BlockedStep, ...]
    baseline_reason: str

    @property
    def blocks_by_scenario(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """("why this matters") the blocked steps grouped by scenario, in pack order."""
        grouped: dict[str, list[str]] = {}
        for step in self.blocks:
            grouped.setdefault(step.scenario_title, []).append(step.step_title)
        return tuple((title, tuple(steps)) for title, steps in grouped.items())

    @property
    def why(self) -> str:
        """("why this matters") one plain sentence: what this control helps stop, in each
        scenario, in the pack's `step` phrases; packs without them quote the step titles.
        Used by the questionnaire, the results page and the report."""
        if not self.blocks:
            return self.baseline_reason or (
                "it is part of the basic protection everyone in public life needs."
            )
        grouped: dict[str, list[BlockedStep]] = {}
        for step in self.blocks:
            grouped.setdefault(step.scenario_title, []).append(step)
        parts = []
        for scenario, steps in grouped.items():
            if all(step.phrase for step in steps):
                phrases = list(dict.fromkeys(step.phrase for step in steps))
                parts.append(f"in \u201c{scenario}\u201d, it helps {_and_list(phrases)}")
            else:
                titles = [f"\u201c{step.step_title}\u201d" for step in steps]
                parts.append(f"in \u201c{scenario}\u201d it helps block {_and_list(titles)}")
        return "; ".join(parts) + "."

    def option(self, key: str) -> AnswerOption | None:
        for option in self.options:
            if option.key == key:
                return option
        return None


@dataclass(frozen=True)
class SectionDef:
    id: str
    title: str
    order: int
    control_ids: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioDef:
    id: str
    title: str
    summary: str
    audiences: tuple[str, ...]
    leaf_titles: dict[str, str] = field(hash=False, compare=False)
    # Per leaf: the controls that mitigate it.
    leaf_controls: dict[str, tuple[str, ...]] = field(
        default_factory=dict, hash=False, compare=False
    )


@dataclass(frozen=True)
class Questionnaire:
    """Everything about one pack version that the questionnaire pages display."""

    slug: str
    version: str
    title: str
    sections: tuple[SectionDef, ...]
    questions: dict[str, QuestionDef] = field(hash=False, compare=False)
    scenarios: tuple[ScenarioDef, ...] = ()

    def section(self, section_id: str) -> SectionDef | None:
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    def scenarios_for(self, audience: str) -> tuple[ScenarioDef, ...]:
        return tuple(s for s in self.scenarios if not s.audiences or audience in s.audiences)

    def scenario(self, scenario_id: str) -> ScenarioDef | None:
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        return None


def _options(raw_answers) -> tuple[AnswerOption, ...]:
    options = []
    for raw in raw_answers or STANDARD_ANSWERS:
        level = raw.get("level")
        key = str(raw["key"])
        if key == UNSURE_KEY:
            level = 0.0
        options.append(
            AnswerOption(
                key=key,
                label=str(raw.get("label") or key),
                level=None if level == "na" else float(level),
            )
        )
    return tuple(options)


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


CONTROL_REF_RE = re.compile(r"\bsee ([A-Z]-[A-Z]{2,4}-\d{2})\b")


def plain_control_refs(text: str, titles: dict[str, str]) -> str:
    """Pack text says "see I-EML-01"; a person reads "see “Block remote images in
    email”" (the control's own title). Unknown ids are left as they are."""

    def title(match):
        found = titles.get(match.group(1))
        return f"see \u201c{found}\u201d" if found else match.group(0)

    return CONTROL_REF_RE.sub(title, text)


def sentence_join(phrases: list[str]) -> str:
    """ "A, b and c": the first phrase as written, the others with a lower-case first
    letter ("Use a password manager" reads "use a password manager" mid-sentence), except
    where the word is an acronym or a name ("MFA", "Exchange")."""
    parts = []
    for index, phrase in enumerate(phrases):
        if index and len(phrase) > 1 and phrase[0].isupper() and phrase[1].islower():
            first_word = phrase.split(" ", 1)[0]
            if first_word not in _KEEP_CAPITALISED:
                phrase = phrase[0].lower() + phrase[1:]
        parts.append(phrase)
    return _and_list(parts)


_KEEP_CAPITALISED = frozenset({"Exchange", "Microsoft", "Windows", "Google", "Apple", "Android"})


def _walk_leaves(node):
    if node.get("op") == "leaf":
        yield node
        return
    for child in node.get("children", ()):
        yield from _walk_leaves(child)


def build_questionnaire(content: dict) -> Questionnaire:
    """Build the index from a validated pack dict (field names as in the YAML)."""
    blocks: dict[str, list[BlockedStep]] = {}
    scenarios = []
    for raw_scenario in content.get("scenarios", ()):
        leaf_titles, leaf_controls = {}, {}
        for leaf in _walk_leaves(raw_scenario["tree"]):
            leaf_titles[str(leaf["id"])] = leaf.get("title", "")
            leaf_controls[str(leaf["id"])] = tuple(
                m["control"] for m in leaf.get("mitigations", ())
            )
            for mitigation in leaf.get("mitigations", ()):
                step = BlockedStep(
                    scenario_id=raw_scenario["id"],
                    scenario_title=raw_scenario.get("title", raw_scenario["id"]),
                    step_title=leaf.get("title", ""),
                    phrase=leaf.get("step", ""),
                )
                steps = blocks.setdefault(mitigation["control"], [])
                if step not in steps:
                    steps.append(step)
        scenarios.append(
            ScenarioDef(
                id=raw_scenario["id"],
                title=raw_scenario.get("title", raw_scenario["id"]),
                summary=raw_scenario.get("summary", ""),
                audiences=tuple(raw_scenario.get("audiences", ())),
                leaf_titles=leaf_titles,
                leaf_controls=leaf_controls,
            )
        )

    sections = []
    questions: dict[str, QuestionDef] = {}
    control_titles = {
        str(raw["id"]): raw.get("title", "")
        for raw_section in content.get("sections", ())
        for raw in raw_section.get("controls", ())
    }
    order = 0
    for section_order, raw_section in enumerate(content.get("sections", ())):
        ids = []
        for raw in raw_section.get("controls", ()):
            control_id = str(raw["id"])
            ids.append(control_id)
            questions[control_id] = QuestionDef(
                id=control_id,
                section_id=raw_section["id"],
                order=order,
                title=raw.get("title", ""),
                question=raw.get("question", ""),
                help=raw.get("help", ""),
                options=_options(raw.get("answers")),
                effort=raw.get("effort", "medium"),
                critical=bool(raw.get("critical", False)),
                remediation=tuple(
                    plain_control_refs(step, control_titles) for step in raw.get("remediation", ())
                ),
                blocks=tuple(blocks.get(control_id, ())),
                baseline_reason=raw.get("baseline_reason", ""),
            )
            order += 1
        sections.append(
            SectionDef(
                id=raw_section["id"],
                title=raw_section.get("title", raw_section["id"]),
                order=section_order,
                control_ids=tuple(ids),
            )
        )
    return Questionnaire(
        slug=str(content.get("id", "")),
        version=str(content.get("version", "")),
        title=str(content.get("title", "")),
        sections=tuple(sections),
        questions=questions,
        scenarios=tuple(scenarios),
    )


_CACHE: dict[tuple[int, str], Questionnaire] = {}
_CACHE_LOCK = Lock()


def questionnaire_for(pack) -> Questionnaire:
    """The cached index of `pack` (a catalogue Pack row). Reads `pack.content` only once."""
    cache_key = (pack.pk, pack.content_sha256)
    cached = _CACHE.get(cache_key)
    if cached is not None:
        return cached
    built = build_questionnaire(pack.content)
    with _CACHE_LOCK:
        _CACHE[cache_key] = built
    return built
