"""A small valid pack for any app's tests.

    from apps.catalogue.services import pack_load_data
    from tests.catalogue.packs import minimal_pack_data

    pack = pack_load_data(minimal_pack_data()).pack

Two sections, five controls (T-ACC-01 is critical; T-DEV-02 applies only when T-DEV-01 was
answered "yes" or "partly"; T-GOV-01 mitigates nothing and says why), and one scenario
whose root is an AND over an OR:

    R   [and] Take over the account
      R1  [or]  Get the password        R1.1 phish (T-ACC-02)   R1.2 reuse (T-ACC-02, T-ACC-03)
      R2  [leaf] Get past sign-in       (T-ACC-01 primary, effectiveness 0.9 with a reason)
      R3  [leaf] Run malware on a device (T-DEV-01 primary, T-DEV-02 supporting), p0 0.5

Every call returns a fresh dict, so a test may change it freely.
"""

from __future__ import annotations


def minimal_pack_data(*, pack_id: str = "test-pack", version: str = "2026.1") -> dict:
    return {
        "id": pack_id,
        "version": version,
        "title": "Test pack for people in public life",
        "audiences": ["parliamentarian", "staff"],
        "sources": [
            {
                "id": "cyber-aware",
                "title": "Cyber Aware",
                "publisher": "NCSC",
                "url": "https://www.ncsc.gov.uk/cyberaware",
                "date": "2023",
            },
            {
                "id": "hri",
                "title": "Cyber security guidance for high-risk individuals",
                "publisher": "NCSC",
                "url": "https://www.ncsc.gov.uk/collection/defending-democracy",
                "date": "2023-12",
            },
        ],
        "sections": [
            {
                "id": "accounts",
                "title": "Your accounts",
                "controls": [
                    {
                        "id": "T-ACC-01",
                        "title": "Turn on 2-step verification on personal email",
                        "question": "Is 2-step verification on for every personal email account?",
                        "help": "A stolen password alone is then not enough to get in.",
                        "audiences": ["parliamentarian", "staff"],
                        "effort": "low",
                        "critical": True,
                        "remediation": [
                            "Open your email account's security settings.",
                            "Turn on 2-step verification with an authenticator app.",
                        ],
                        "references": ["cyber-aware"],
                        "mitigates": ["T1078", "T1110.003"],
                    },
                    {
                        "id": "T-ACC-02",
                        "title": "Check before you sign in from a link",
                        "question": "Do you sign in only by typing the address or using a bookmark?",
                        "help": "Lures lead to look-alike sign-in pages that steal passwords.",
                        "answers": [
                            {"key": "yes", "label": "Always", "level": 1},
                            {"key": "sometimes", "label": "Sometimes", "level": 0.5},
                            {"key": "no", "label": "No", "level": 0},
                            {"key": "unsure", "label": "I'm not sure", "level": 0},
                        ],
                        "audiences": ["parliamentarian", "staff"],
                        "effort": "low",
                        "remediation": ["Bookmark the sign-in pages you use."],
                        "references": ["hri"],
                        "mitigates": ["T1566.002"],
                    },
                    {
                        "id": "T-ACC-03",
                        "title": "Use a password manager",
                        "question": "Does a password manager create a different password for each account?",
                        "help": "A password leaked by one site then opens nothing else.",
                        "audiences": ["parliamentarian", "staff"],
                        "effort": "medium",
                        "remediation": ["Install a password manager.", "Change reused passwords."],
                        "references": ["cyber-aware"],
                        "mitigates": ["T1110.004"],
                    },
                ],
            },
            {
                "id": "devices",
                "title": "Your devices",
                "controls": [
                    {
                        "id": "T-DEV-01",
                        "title": "Keep devices updated",
                        "question": "Do your phone and computer install updates automatically?",
                        "help": "Updates close the holes that malware uses.",
                        "audiences": ["parliamentarian", "staff"],
                        "effort": "low",
                        "remediation": ["Turn on automatic updates."],
                        "references": ["cyber-aware"],
                        "mitigates": ["T1203", "mobile:T1458"],
                    },
                    {
                        "id": "T-DEV-02",
                        "title": "Turn on Lockdown Mode",
                        "question": "Is Lockdown Mode on for your phone?",
                        "help": "It blocks the ways spyware usually gets in.",
                        "applies_if": {"control": "T-DEV-01", "in": ["yes", "partly"]},
                        "audiences": ["parliamentarian"],
                        "effort": "high",
                        "remediation": ["Settings, Privacy & Security, Lockdown Mode."],
                        "references": ["hri"],
                        "mitigates": ["T1203"],
                    },
                    {
                        "id": "T-GOV-01",
                        "title": "Know who to call",
                        "question": "Do you know who to call if an account is taken over?",
                        "help": "Acting in the first hour limits what an attacker can do.",
                        "audiences": ["parliamentarian", "staff"],
                        "effort": "low",
                        "remediation": ["Save the support desk number in your phone."],
                        "baseline_reason": "Baseline hygiene: shortens any incident.",
                    },
                ],
            },
        ],
        "scenarios": [
            {
                "id": "account-takeover",
                "title": "Account takeover",
                "summary": "An attacker reads the target's personal email.",
                "audiences": ["parliamentarian", "staff"],
                "bands": {"low": 0, "moderate": 0.2, "high": 0.5, "critical": 0.8},
                "bands_reason": "Evenly spread for tests.",
                "tree": {
                    "id": "R",
                    "op": "and",
                    "title": "Take over the account",
                    "children": [
                        {
                            "id": "R1",
                            "op": "or",
                            "title": "Get the password",
                            "children": [
                                {
                                    "id": "R1.1",
                                    "op": "leaf",
                                    "title": "Phish the password on a look-alike page",
                                    "attack": ["T1566.002"],
                                    "mitigations": [{"control": "T-ACC-02", "role": "primary"}],
                                    "evidence": {"kind": "documented", "sources": ["hri"]},
                                },
                                {
                                    "id": "R1.2",
                                    "op": "leaf",
                                    "title": "Reuse a password from another breach",
                                    "attack": ["T1110.004"],
                                    "mitigations": [
                                        {"control": "T-ACC-03", "role": "primary"},
                                        {"control": "T-ACC-02", "role": "supporting"},
                                    ],
                                    "evidence": {"kind": "inferred"},
                                },
                            ],
                        },
                        {
                            "id": "R2",
                            "op": "leaf",
                            "title": "Get past sign-in",
                            "attack": ["T1078"],
                            "mitigations": [
                                {
                                    "control": "T-ACC-01",
                                    "role": "primary",
                                    "effectiveness": 0.9,
                                    "reason": "2SV stops a password alone.",
                                }
                            ],
                            "evidence": {
                                "kind": "documented",
                                "sources": ["cyber-aware"],
                                "note": "The usual route.",
                            },
                        },
                        {
                            "id": "R3",
                            "op": "leaf",
                            "title": "Run malware on a device",
                            "p0": 0.5,
                            "attack": ["T1203"],
                            "mitigations": [
                                {"control": "T-DEV-01", "role": "primary"},
                                {"control": "T-DEV-02", "role": "supporting"},
                            ],
                            "evidence": {"kind": "inferred"},
                        },
                    ],
                },
            }
        ],
    }
