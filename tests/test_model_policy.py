"""The model policy: every seed topic covered by a tagged clause, plain language, well-formed."""

from __future__ import annotations

import re

import pytest

from policystack.markup import VARIABLE, parse_bodies, plain_blocks
from policystack.policy_files import read_policy

from conftest import REPO

POLICY = read_policy(REPO / "policies" / "social-media")
CLAUSES = [c for s in POLICY.sections for c in s.clauses]

# Each topic of ../shared/seeds/ and the foundation issue, with the topic tag that must cover it.
SEED_TOPICS = {
    "friend and connection requests": "friending",
    "following and followers": "following",
    "messaging on social platforms": "messaging",
    "text messages": "sms",
    "business review sites": "reviews",
    "sharing articles and links": "sharing",
    "search engines": "search",
    "location check-ins": "location",
    "email": "email",
    "newsletters and mailing lists": "newsletter",
    "the practice's own social pages": "practice_page",
    "privacy limits of platforms": "privacy_limits",
    "dual relationships": "dual_relationships",
    "emergencies": "emergency",
    "acknowledgement": "acknowledgement",
    "not legal advice": "legal_notice",
}


def plain(clause) -> str:
    blocks = parse_bodies([(clause.id, clause.body)])[0]
    return plain_blocks(blocks, lambda name: "it")


def test_metadata():
    meta = POLICY.meta
    assert (meta.id, meta.language) == ("social-media", "en")
    assert re.match(r"^\d+\.\d+\.\d+$", meta.version)
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", meta.effective)
    assert len(CLAUSES) >= 15
    assert len({c.id for c in CLAUSES}) == len(CLAUSES)


@pytest.mark.parametrize("topic, tag", SEED_TOPICS.items())
def test_every_seed_topic_has_a_tagged_clause(topic, tag):
    assert any(tag in c.topics for c in CLAUSES), f"no clause covers {topic} (topic '{tag}')"


def test_key_promises_are_present():
    text = {c.id: plain(c).lower() for c in CLAUSES}
    assert "confirm or deny" in text["reviews"]
    assert "free" in text["reviews"] or "your choice" in text["reviews"]
    assert "emergenc" in text["search-engines"]
    assert "not" in text["emergencies"] and "it" in text["emergencies"]
    assert any(v in c.body for c in CLAUSES for v in ("{{ clinic.email_response_days }}",))
    used = {m.group(1) for c in CLAUSES for m in VARIABLE.finditer(c.body)}
    assert {"clinic.name", "clinic.phone", "clinic.email", "clinic.email_response_days",
            "emergency.number"} <= used


def test_reading_grade_is_at_most_nine():
    import textstat  # a test dependency: a missing reader must fail the suite, not skip the check
    whole = "\n\n".join(plain(c) for c in CLAUSES)
    assert textstat.flesch_kincaid_grade(whole) <= 9.0
    for clause in CLAUSES:
        assert textstat.flesch_kincaid_grade(plain(clause)) <= 10.0, clause.id


def test_last_section_is_the_acknowledgement():
    assert POLICY.sections[-1].last and POLICY.sections[-1].clauses[-1].id == "acknowledgement"
    assert POLICY.meta.signers == ("Client", "Clinician")
