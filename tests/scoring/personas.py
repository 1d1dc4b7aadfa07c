"""Four people the plan is judged on (the engine 2 note lists their first five steps).

- a wide-open MP: every question answered at its lowest level;
- a typical MP: 2-step verification by text message on personal email, a password
  manager for some accounts, automatic updates on, pictures loading, an unbriefed family,
  and an office that enforces MFA but has done little else;
- a staffer in that office: work accounts under the office's MFA, personal accounts
  barely protected, no family briefing question answered;
- the Electoral Commission's 2021 posture (tests/scoring/test_replays.py).
"""

from __future__ import annotations

# The Electoral Commission, August 2021 (DOMAIN.md §4).
COMMISSION_2021 = {
    # ICO: fixes for ProxyShell released April/May 2021 were not applied.
    "E-VM-02": "no",
    # On-premises Exchange 2016 reachable from the internet (OWA/Autodiscover).
    "E-VM-04": "no",
    # Failed Cyber Essentials in Aug 2021: ~200 laptops on out-of-support Windows 10.
    "E-VM-03": "no",
    "O-DV-01": "no",
    # ICO: many accounts kept service-desk-issued passwords, one compromised account too.
    "O-ID-04": "no",
    "E-AC-03": "no",
    # MFA was only being rolled out in October 2022, when it exposed the intruders.
    "E-AC-01": "no",
    # No 24/7 monitoring until after the breach; spam from Exchange noticed by a member
    # of staff, not by an alert; the Oct 2021 incident treated as isolated, not scoped.
    "E-MO-02": "no",
    "E-MO-03": "no",
    "E-IR-01": "no",
    "E-VM-05": "no",
    # Joined NCSC Early Warning only as part of the remediation.
    "E-MO-04": "no",
    # Register copies for 2014-2022 were on the reachable servers.
    "E-DS-01": "no",
    # No annual independent assurance: failed CE in 2021, did not take it in 2022.
    "E-GV-01": "no",
    # Not documented either way: a plausible middling posture.
    "E-VM-01": "no",
    "O-ID-02": "partly",
    "O-ID-03": "unsure",
    "E-AC-02": "no",
    "E-MO-01": "partly",
    "E-IR-02": "no",
    "E-DS-02": "no",
    "E-NW-01": "no",
    "O-EM-01": "partly",
    "O-EM-02": "partly",
    "O-EM-03": "no",
    "O-TR-01": "partly",
    "O-DV-02": "no",
    "E-GV-02": "no",
    "E-SC-01": "partly",
}

WIDE_OPEN = "lowest"  # every control at its lowest level (see `lowest_answers`)

TYPICAL_MP = {
    "I-ACC-01": "yes",
    "I-ACC-02": "sms_only",
    "I-ACC-03": "partly",
    "I-ACC-04": "partly",
    "I-ACC-05": "no",
    "I-ACC-06": "no",
    "I-ACC-07": "no",
    "I-EML-01": "no",
    "I-EML-02": "partly",
    "I-EML-03": "no",
    "I-EML-04": "no",
    "I-DEV-01": "yes",
    "I-DEV-02": "no",
    "I-DEV-03": "yes",
    "I-DEV-04": "partly",
    "I-DEV-05": "no",
    "I-NET-01": "no",
    "I-NET-02": "no",
    "I-NET-03": "no",
    "I-PRI-01": "partly",
    "I-PRI-02": "no",
    "I-FAM-01": "no",
    "I-RSP-01": "no",
    "O-ID-01": "yes",
    "O-ID-02": "partly",
    "O-ID-03": "unsure",
    "O-ID-04": "unsure",
    "O-EM-01": "unsure",
    "O-EM-02": "no",
    "O-EM-03": "no",
    "O-TR-01": "no",
    "O-DV-01": "partly",
    "O-DV-02": "no",
    "O-NW-01": "unsure",
    "O-DS-01": "partly",
    "O-BK-01": "unsure",
    "O-SC-01": "unsure",
    "O-IR-01": "no",
}

STAFFER = {
    "I-ACC-01": "partly",
    "I-ACC-02": "app_codes",
    "I-ACC-03": "no",
    "I-ACC-04": "partly",
    "I-ACC-05": "no",
    "I-ACC-06": "no",
    "I-ACC-07": "no",
    "I-EML-01": "no",
    "I-EML-02": "partly",
    "I-EML-03": "partly",
    "I-DEV-01": "partly",
    "I-DEV-03": "partly",
    "I-DEV-04": "yes",
    "I-NET-01": "no",
    "I-NET-03": "no",
    "I-PRI-01": "no",
    "I-PRI-02": "no",
    "I-RSP-01": "no",
    "O-ID-01": "yes",
    "O-ID-04": "yes",
    "O-EM-02": "partly",
    "O-TR-01": "no",
    "O-DV-01": "yes",
    "O-DV-02": "no",
}


def lowest_answers(pack) -> dict[str, str]:
    """Every control of a compiled pack at its lowest scored level ("no" where it has one)."""
    answers = {}
    for control in pack.controls:
        scored = [k for k, level in control.levels.items() if level is not None]
        answers[control.id] = min(scored, key=lambda k: (control.levels[k], k == "unsure", k))
    return answers


def personas():
    """(name, pack id, audience, answers or WIDE_OPEN) for the four people."""
    return (
        ("wide-open MP", "high-risk-individuals", "parliamentarian", WIDE_OPEN),
        ("typical MP", "high-risk-individuals", "parliamentarian", TYPICAL_MP),
        ("staffer", "high-risk-individuals", "staff", STAFFER),
        ("Electoral Commission 2021", "election-bodies", "election_official", COMMISSION_2021),
    )
