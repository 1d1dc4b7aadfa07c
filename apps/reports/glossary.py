"""The words the report uses, in plain English (the report's last section)."""

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Attack scenario",
        "A documented attack on people like you, broken down into the steps an attacker "
        "has to take. Portcullis uses real cases: APT31's 2021 reconnaissance of "
        "parliamentarians and the 2021-22 compromise of the Electoral Commission.",
    ),
    (
        "Attack tree",
        "The steps of a scenario drawn as a tree. Some steps all have to succeed (an "
        "attacker needs the password and to get past sign-in); for others any one will do "
        "(a password can be phished or reused from another breach).",
    ),
    (
        "Exposure",
        "How likely the attack is to succeed against you as you are today, from 0 (it "
        "would not work) to 100 (nothing stands in its way). It is an estimate to rank "
        "what to do first, not a forecast.",
    ),
    (
        "Band",
        "Exposure in words: low, moderate, high or critical. The thresholds come from "
        "the guidance pack and are the same for everyone.",
    ),
    (
        "Most exposed route",
        "The easiest way through the attack tree for an attacker, given your answers. "
        "The attack story in this report follows it.",
    ),
    (
        "What would have stopped it",
        "Small sets of measures that, fully in place together, close every route through the tree.",
    ),
    (
        "Baseline not met",
        "At least one measure the guidance treats as essential is not fully in place, "
        "whatever your exposure. Fix these first.",
    ),
    (
        "Remediation plan",
        "Your measures in the order that cuts the most exposure for the least effort, "
        "worked out one step at a time so each step accounts for the ones before it.",
    ),
    (
        "Effort",
        "A rough size for a measure: low (minutes, on your own), medium (an hour or help "
        "from IT), high (a project, or a change in how you work).",
    ),
    (
        "Find out",
        'Questions you answered "I\'m not sure". They count as not in place until you '
        "check, usually with your IT support.",
    ),
    (
        "2-step verification (2SV)",
        "A second check at sign-in, such as a code from an app or a security key, so a "
        "stolen password alone is not enough.",
    ),
    (
        "Coverage",
        "For each section of the questionnaire, the share of the measures that apply to "
        "you which are in place.",
    ),
)
