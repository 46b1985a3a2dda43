"""Jurisdiction and profession content (issue 4) on the REAL project: what a clinic relies on.

Expectations are derived from the layer files themselves (``jurisdictions/**.yaml``,
``professions/*.yaml``) wherever possible, so a new layer, clause, rule or source is
covered without editing this file -- except the table of deliberately bad sentences,
which must gain an entry for every new ``forbid`` (a test says so when one is missing).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pytest
import yaml
from click.testing import CliRunner

from policystack.checks import REVIEW_MAX_AGE_DAYS, clause_texts
from policystack.cli import main
from policystack.content import parse_policy
from policystack.errors import ConflictError
from policystack.pipeline import Pipeline
from policystack.plugins import make_plugins
from policystack.project import load_project

from conftest import REPO, clinic, write

CLINIC_LAYER = "clinic:test-clinic"  # the id the engine gives the target's own operations

# ---------------------------------------------------------------------------- the layer files, as written

LAYER_FILES = sorted((REPO / "jurisdictions").rglob("*.yaml")) + sorted((REPO / "professions").rglob("*.yaml"))
RAW: dict[str, dict[str, Any]] = {}
FILE_OF: dict[str, Path] = {}
for _path in LAYER_FILES:
    _data = yaml.safe_load(_path.read_text(encoding="utf-8"))
    RAW[_data["layer"]["id"]] = _data
    FILE_OF[_data["layer"]["id"]] = _path


def meta(layer_id: str) -> dict[str, Any]:
    return RAW[layer_id]["layer"]


def ops(layer_id: str, *kinds: str) -> list[dict[str, Any]]:
    return [op for op in RAW[layer_id]["operations"] if not kinds or op["op"] in kinds]


JURISDICTIONS = sorted(i for i in RAW if meta(i)["kind"] == "jurisdiction")
PROFESSIONS = sorted(i for i in RAW if meta(i)["kind"] == "profession")
COUNTRIES = [j for j in JURISDICTIONS if not meta(j).get("parent")]
LATEST_REVIEW = max(str(meta(i)["reviewed"]) for i in RAW)


def lineage(code: str) -> list[str]:
    """A jurisdiction and its parents, broadest first (from the files' ``parent``)."""
    chain = [code]
    while meta(chain[-1]).get("parent"):
        chain.append(meta(chain[-1])["parent"])
    return chain[::-1]


def lineages(codes: Iterable[str]) -> list[str]:
    out: list[str] = []
    for code in codes:
        out += [c for c in lineage(code) if c not in out]
    return out


def served(profession_layer: str) -> list[str]:
    """Jurisdictions whose clinics get this profession layer (the named ones and narrower)."""
    wanted = set(meta(profession_layer).get("jurisdictions") or JURISDICTIONS)
    return [j for j in JURISDICTIONS if wanted & set(lineage(j))]


def norm(text: str) -> str:
    return " ".join(str(text).split())


def payload(op: dict[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in op.items() if k not in ("citation", "reason", "message")))


# ---------------------------------------------------------------------------- the real pipeline, once per module

@pytest.fixture(scope="module")
def real() -> Pipeline:
    return Pipeline(load_project(REPO), make_plugins(plugins_dir=None, entry_points=False))


@pytest.fixture(autouse=True)
def build_date(monkeypatch):
    """Pin the build date to the newest 'reviewed' date: no stale-review noise unless a test wants it."""
    monkeypatch.setenv("POLICYSTACK_TODAY", LATEST_REVIEW)


def target(codes: Iterable[str], professions: Iterable[str] = (), operations: list | None = None,
           variables: dict | None = None):
    data: dict[str, Any] = {"jurisdictions": list(codes), "profession": list(professions)}
    if operations:
        data["operations"] = operations
    if variables:
        data["variables"] = variables
    return clinic(**data)


@pytest.fixture(scope="module")
def built(real):
    """(policy, findings, plain text by clause) for clean clinics, memoized: many tests read the same builds."""
    @lru_cache(maxsize=None)
    def build(codes: tuple[str, ...], professions: tuple[str, ...] = ()):
        policy = real.resolve(target(codes, professions))
        return policy, real.check(policy), clause_texts(parse_policy(policy), policy)
    return build


def resolve_and_check(real: Pipeline, t):
    policy = real.resolve(t)
    return policy, real.check(policy), clause_texts(parse_policy(policy), policy)


def problems(findings, *severities: str) -> list[str]:
    severities = severities or ("error", "warning")
    return [str(f) for f in findings if f.severity in severities]


# ============================================================================ 1. everything builds and passes

def test_catalogue_holds_exactly_the_layer_files_and_every_required_jurisdiction(real):
    assert sorted(l.id for l in real.catalogue.of_kind("jurisdiction")) == JURISDICTIONS
    assert sorted(l.id for l in real.catalogue.of_kind("profession")) == PROFESSIONS
    # the issue's minimum list
    assert {"us", "us-ca", "us-ny", "us-tx", "us-il", "us-fl", "us-wa", "uk", "eu", "ca", "ca-on", "ca-qc",
            "au", "nz"} <= set(JURISDICTIONS)
    professions = {p: l for l in PROFESSIONS for p in meta(l)["professions"]}
    assert {professions["psychologist"], professions["counselor"], professions["social-worker"],
            professions["mft"]} == {"apa", "aca", "nasw", "aamft"}
    assert "bacp" in PROFESSIONS and "uk" in meta("bacp")["jurisdictions"]


@pytest.mark.parametrize("code", JURISDICTIONS)
def test_every_jurisdiction_builds_on_the_base_alone_and_passes_check(real, built, code):
    policy, findings, _ = built((code,))
    assert [l.id for l in policy.layers] == lineage(code)
    assert not problems(findings), problems(findings)
    # every require/forbid of every applied layer was checked and is satisfied
    expected = [(l, op["op"]) for l in lineage(code) for op in ops(l, "require", "forbid")]
    got = [(f.layer, f.code) for f in findings if f.code in ("requirement-met", "prohibition-respected")]
    assert sorted(got) == sorted((l, "requirement-met" if o == "require" else "prohibition-respected")
                                 for l, o in expected)
    # the documents render, name the jurisdictions applied and carry the not-legal-advice notice
    _, _, outputs = real.build(target((code,)), ["md"])
    markdown = outputs["md"].decode("utf-8").replace("\\", "")
    jurisdictions_line = next(line for line in markdown.splitlines() if line.startswith("Jurisdictions:"))
    for layer in lineage(code):
        assert meta(layer)["name"] in jurisdictions_line
    assert "not legal advice" in markdown.lower()
    assert "{{" not in markdown


PROFESSION_CASES = [(layer, profession, code) for layer in PROFESSIONS for profession in meta(layer)["professions"]
                    for code in served(layer)]


@pytest.mark.parametrize("layer,profession,code", PROFESSION_CASES, ids=lambda v: str(v))
def test_every_profession_builds_with_a_jurisdiction_it_serves_and_passes_check(built, layer, profession, code):
    policy, findings, _ = built((code,), (profession,))
    applied = [l.id for l in policy.layers]
    assert applied[:len(lineage(code))] == lineage(code)
    assert layer in applied
    assert not problems(findings), problems(findings)
    assert meta(layer)["name"] in policy.profession_names()


@pytest.mark.parametrize("layer", PROFESSIONS)
def test_a_profession_layer_is_not_applied_outside_the_jurisdictions_it_serves(built, layer):
    outside = [c for c in COUNTRIES if c not in served(layer)]
    assert outside, "every profession layer here is tied to a country"
    for code in outside:
        policy, findings, _ = built((code,), (meta(layer)["professions"][0],))
        assert layer not in [l.id for l in policy.layers]
        assert not problems(findings, "error")


# ============================================================================ 2. distinctive clauses

ADDS = [(layer, op["id"]) for layer in RAW for op in ops(layer, "add")]


@pytest.mark.parametrize("layer,clause_id", [a for a in ADDS if meta(a[0])["kind"] == "jurisdiction"],
                         ids=lambda v: str(v))
def test_a_jurisdictions_added_clause_appears_exactly_where_that_jurisdiction_applies(built, layer, clause_id):
    op = next(o for o in ops(layer, "add") if o["id"] == clause_id)
    for code in JURISDICTIONS:
        policy, _, texts = built((code,))
        clause = policy.clause(clause_id)
        if layer in lineage(code):
            assert clause is not None, f"{clause_id} missing from {code}"
            first = clause.provenance[0]
            assert (first.layer, first.op, first.citation) == (layer, "add", op["citation"])
            assert clause.title == op["title"].strip()
            assert set(op["topics"]) <= set(clause.topics)
        else:
            assert clause is None, f"{clause_id} (from {layer}) leaked into a clinic in {code}"


@pytest.mark.parametrize("layer,clause_id", [a for a in ADDS if meta(a[0])["kind"] == "profession"],
                         ids=lambda v: str(v))
def test_a_professions_added_clause_appears_only_for_that_profession(built, layer, clause_id):
    code = served(layer)[0]
    for profession in {p for l in PROFESSIONS for p in meta(l)["professions"]}:
        policy, _, _ = built((code,), (profession,))
        applied = {l.id for l in policy.layers}
        assert (policy.clause(clause_id) is not None) == (layer in applied), (profession, clause_id)
    assert built((code,))[0].clause(clause_id) is None


def _same_change_in(codes: Iterable[str], op_name: str, clause_id: str, op: dict) -> bool:
    return any(payload(o) == payload(op) for l in codes for o in ops(l, op_name) if o["clause"] == clause_id)


TEXT_CHANGES = [(layer, o["op"], o["clause"], i) for layer in JURISDICTIONS
                for i, o in enumerate(ops(layer)) if o["op"] in ("replace", "amend") and
                ("body" in o or "append" in o or "prepend" in o)]


@pytest.mark.parametrize("layer,op_name,clause_id,index", TEXT_CHANGES, ids=lambda v: str(v))
def test_replaced_or_amended_text_is_in_its_output_and_not_in_an_unrelated_jurisdiction(built, layer, op_name,
                                                                                        clause_id, index):
    op = ops(layer)[index]
    new_text = norm(op.get("body") or op.get("append") or op.get("prepend"))
    policy, _, _ = built((layer,))
    assert new_text in norm(policy.clause(clause_id).body)
    if "title" in op:
        assert policy.clause(clause_id).title == op["title"].strip()
    unrelated = [c for c in JURISDICTIONS if not _same_change_in(lineage(c), op_name, clause_id, op)]
    assert unrelated, "every change should be distinctive somewhere"
    for code in unrelated:
        other = built((code,))[0].clause(clause_id)
        assert other is None or new_text not in norm(other.body), f"{layer}'s {op_name} of {clause_id} is in {code}"


CONFIRM_OR_DENY = ["friend-requests", "following", "practice-page", "reviews", "location-checkins"]


def test_identity_is_confidential_in_illinois_texas_and_quebec_we_will_not_confirm_or_deny(built):
    strict = [j for j in JURISDICTIONS if any(o["clause"] == "friend-requests" for o in ops(j, "replace"))]
    assert set(strict) == {"us-il", "us-tx", "ca-qc"}
    bodies = {j: {o["clause"]: o["body"] for o in ops(j, "replace")} for j in strict}
    for clause_id in CONFIRM_OR_DENY:  # byte-identical on purpose, so they can stack
        assert len({bodies[j][clause_id] for j in strict}) == 1, clause_id
    for code in JURISDICTIONS:
        policy, _, texts = built((code,))
        for clause_id in CONFIRM_OR_DENY:
            says_it = "confirm or deny" in norm(texts[clause_id]).lower()
            if code in strict or "ca-qc" in lineage(code):
                assert says_it, (code, clause_id)
            elif clause_id != "reviews":  # the base reviews clause already says it
                assert not says_it, (code, clause_id)


def test_only_washington_promises_no_geofencing(built):
    for code in JURISDICTIONS:
        policy, _, texts = built((code,))
        mentions = [c for c, t in texts.items() if "geofenc" in t.lower()]
        if code == "us-wa":
            assert mentions == ["no-geofencing"]
            assert "2,000 feet" in texts["no-geofencing"]
            assert policy.clause("no-geofencing").provenance[0].citation.startswith("RCW 19.373.080")
        else:
            assert mentions == [], code


def test_only_california_adds_telehealth_consent(built):
    for code in JURISDICTIONS:
        policy, _, texts = built((code,))
        if code == "us-ca":
            assert "consent" in texts["telehealth-consent"].lower()
            assert "2290.5" in policy.clause("telehealth-consent").provenance[0].citation
        else:
            assert "telehealth-consent" not in texts, code


def test_newsletters_are_opt_in_outside_the_us_and_carry_the_can_spam_opt_out_in_the_us(built):
    opt_in = {j: o["body"] for j in JURISDICTIONS for o in ops(j, "replace") if o["clause"] == "newsletter"}
    assert set(opt_in) == {"uk", "eu", "ca", "au", "nz"}
    assert len(set(opt_in.values())) == 1  # byte-identical on purpose
    opt_in_text = norm(next(iter(opt_in.values())))
    can_spam = norm(next(o["append"] for o in ops("us", "amend") if o["clause"] == "newsletter"))
    for code in JURISDICTIONS:
        body = norm(built((code,))[0].clause("newsletter").body)
        if set(lineage(code)) & set(opt_in):
            assert body == opt_in_text, code
            assert "clearly say yes" in body
        else:
            assert lineage(code)[0] == "us"
            assert can_spam in body and "10 business days" in body and "clearly say yes" not in body


# ============================================================================ 3. every forbid catches bad wording

SOLICIT = [  # one sentence per alternative of the shared 'do not solicit reviews or testimonials' pattern
    "Please leave a review on Google after your session.",
    "We invite clients to recommend us to their friends online.",
    "We would really appreciate your testimonials on our website.",
    "Drop us a quick rating on Yelp when you can.",
    "Tell your friends about our 5-star service.",
    "Don't forget to like us on Facebook.",
]
BAD_WORDING: dict[tuple[str, int], list[str]] = {  # (layer, index among its forbid ops) -> sentences
    ("us", 0): ["By signing this policy, you agree not to post reviews of our practice on any website."],
    ("us", 1): ["Clients may not post reviews or ratings of our clinicians online."],
    ("us", 2): ["A fee of 500 dollars will be charged for any negative review you post about us."],
    ("us", 3): ["You assign to us the copyright in any review you write about our practice."],
    ("us", 4): ["We give a 20 dollar gift card to every client who writes a review.",
                "Get 10% off your next visit for a five-star rating."],
    ("us-ca", 0): ["You waive your right to post reviews or comments about this clinic."],
    ("us-ca", 1): ["This agreement includes a non-disparagement clause."],
    ("us-ca", 2): ["You agree not to comment publicly about our therapists."],
    ("au", 0): SOLICIT,
    ("apa", 0): SOLICIT,
    ("aca", 0): SOLICIT,
}
FORBIDS = [(layer, i) for layer in RAW for i, _ in enumerate(ops(layer, "forbid"))]
REASSURING = [  # wording the README promises the sentence-scoped patterns let through
    "We will not ask you to write a review.",
    "We never offer discounts, gifts or free sessions in exchange for reviews.",
    "We will never charge you a fee or take legal action over a negative review.",
    "You never have to give us a 5-star rating.",
]


def test_every_forbid_rule_has_bad_wording_in_this_test():
    assert sorted(FORBIDS) == sorted(BAD_WORDING), "add a bad sentence for each new forbid rule"
    assert all(ops(layer, "forbid")[i].get("pattern") for layer, i in FORBIDS), "topic forbids need a test"


def _clinic_for(layer: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Jurisdictions and professions of a clinic to which ``layer`` applies."""
    if meta(layer)["kind"] == "jurisdiction":
        return (layer,), ()
    return (served(layer)[0],), (meta(layer)["professions"][0],)


@pytest.mark.parametrize("layer,index", FORBIDS, ids=lambda v: str(v))
def test_each_forbid_catches_a_clinic_layer_with_bad_wording(real, layer, index):
    rule = ops(layer, "forbid")[index]
    codes, professions = _clinic_for(layer)
    for bad in BAD_WORDING[(layer, index)]:
        assert re.search(rule["pattern"], bad, re.IGNORECASE), f"pattern does not match: {bad}"
        amend = [{"op": "amend", "clause": "reviews", "append": bad, "reason": "marketing asked for it"}]
        _, findings, _ = resolve_and_check(real, target(codes, professions, amend))
        hits = [f for f in findings if f.code == "forbidden" and f.message.startswith(rule["message"])
                and f"rule from layer '{layer}'" in f.message]
        assert hits, f"{bad!r} not reported for {layer}: {problems(findings)}"
        hit = hits[0]
        assert hit.severity == "error"
        assert hit.citation == rule["citation"]
        assert hit.clause == "reviews" and hit.layer == CLINIC_LAYER
        assert f"written by layer '{CLINIC_LAYER}'" in hit.message


@pytest.mark.parametrize("layer", sorted({l for l, _ in FORBIDS}))
def test_reassuring_wording_passes_every_forbid(real, layer):
    codes, professions = _clinic_for(layer)
    amend = [{"op": "amend", "clause": "reviews", "append": " ".join(REASSURING), "reason": "reassure"}]
    _, findings, _ = resolve_and_check(real, target(codes, professions, amend))
    assert not problems(findings, "error")


def test_california_reassurance_about_review_rights_is_not_flagged(real):
    reassurance = ("We will never ask you to waive your right to post a review. "
                   "We will never ask you to sign a non-disparagement agreement. "
                   "You do not have to agree not to post reviews. Our staff must not disparage clients.")
    amend = [{"op": "amend", "clause": "reviews", "append": reassurance, "reason": "tell clients their rights"}]
    _, findings, _ = resolve_and_check(real, target(("us-ca",), (), amend))
    assert not problems(findings, "error"), problems(findings, "error")


# ============================================================================ 4. every require catches a removal

REQUIRES = [(layer, i) for layer in RAW for i, _ in enumerate(ops(layer, "require"))]


@pytest.mark.parametrize("layer,index", REQUIRES, ids=lambda v: str(v))
def test_each_require_catches_a_clinic_layer_that_removes_its_topic(real, built, layer, index):
    rule = ops(layer, "require")[index]
    topic = rule["topic"]
    codes, professions = _clinic_for(layer)
    good = built(codes, professions)[0]
    covering = [c.id for c in good.clauses() if topic in c.topics]
    assert covering, f"{layer} requires '{topic}' but no clause covers it even in a clean clinic"
    reason = f"the clinic does not want topic {topic}"
    removal = [{"op": "remove", "clause": c, "reason": reason} for c in covering]
    _, findings, _ = resolve_and_check(real, target(codes, professions, removal))
    unmet = [f for f in findings if f.code == "unmet-requirement" and f.layer == layer
             and f.citation == rule["citation"] and f"topic '{topic}'" in f.message]
    assert len(unmet) == 1, problems(findings)
    message = unmet[0].message
    assert unmet[0].severity == "error"
    if rule.get("message"):
        assert rule["message"] in message
    for clause_id in covering:
        assert f"clause '{clause_id}'" in message
    assert f"layer '{CLINIC_LAYER}' removed it" in message and reason in message


# ============================================================================ 5. stacking

US_STATES = [j for j in JURISDICTIONS if j != "us" and lineage(j)[0] == "us"]
SAME_COUNTRY_STACKS = [("us-ny", "us-il"), ("us-ny", "us-il", "us-ca", "us-wa", "us-tx", "us-fl"),
                       ("ca-on", "ca-qc")] + list(itertools.combinations(US_STATES, 2))


def _rules_of(codes: Iterable[str], professions: Iterable[str] = ()) -> set[tuple]:
    layers = lineages(codes) + [l for l in PROFESSIONS if set(meta(l)["professions"]) & set(professions)]
    return {(l, o["op"], o.get("topic"), o.get("pattern"), o["citation"])
            for l in layers for o in ops(l, "require", "forbid")}


@pytest.mark.parametrize("codes", SAME_COUNTRY_STACKS, ids=lambda v: "+".join(v))
def test_stacked_jurisdictions_accumulate_every_rule_and_every_change(built, codes):
    policy, findings, _ = built(tuple(codes))
    assert [l.id for l in policy.layers] == lineages(codes)
    got = {(r.layer, r.kind, r.topic, r.pattern, r.citation) for r in policy.rules}
    assert got == _rules_of(codes)
    checked = {(f.layer, f.citation) for f in findings if f.code in ("requirement-met", "prohibition-respected")}
    assert checked == {(l, c) for l, _, _, _, c in got}
    assert not problems(findings), problems(findings)
    for layer, clause_id in ADDS:
        if layer in lineages(codes):
            assert policy.clause(clause_id) is not None


def test_a_stacked_clinic_is_held_to_the_rules_of_every_jurisdiction(real):
    codes = ("us-ny", "us-il", "us-ca")
    operations = [
        {"op": "remove", "clause": "location-checkins", "reason": "we have no office"},
        {"op": "amend", "clause": "reviews", "append": "You waive your right to post reviews about us.",
         "reason": "legal asked for it"},
    ]
    _, findings, _ = resolve_and_check(real, target(codes, ("psychologist",), operations))
    errors = [f for f in findings if f.severity == "error"]
    location_rules = {l for l, op, topic, _, _ in _rules_of(codes) if op == "require" and topic == "location"}
    assert location_rules == {"us-il"}  # only Illinois, of the three, requires a location clause
    assert {f.layer for f in errors if f.code == "unmet-requirement"} == location_rules
    forbidden = [f for f in errors if f.code == "forbidden"]
    assert {f.citation for f in forbidden} == {"Cal. Civ. Code 1670.8"}
    assert all(f.layer == CLINIC_LAYER and f.clause == "reviews" for f in forbidden)
    # a requirement of the parent still applies in the stack
    _, findings, _ = resolve_and_check(real, target(codes, (), [
        {"op": "remove", "clause": "emergencies", "reason": "not our business"}]))
    assert [f.citation for f in findings if f.code == "unmet-requirement"] == \
        [o["citation"] for o in ops("us", "require") if o["topic"] == "emergency"]


def _changes(codes: Iterable[str]) -> dict[str, list[tuple[str, tuple]]]:
    """subject ('clause:x' / 'variable:y') -> [(layer, payload)] for the layers of ``codes``."""
    out: dict[str, list[tuple[str, tuple]]] = {}
    for layer in lineages(codes):
        for o in ops(layer):
            if o["op"] in ("add", "replace", "amend", "remove", "move"):
                out.setdefault(f"clause:{o.get('clause') or o.get('id')}", []).append((layer, payload(o)))
            elif o["op"] == "set":
                for name, value in (o.get("values") or {}).items():
                    out.setdefault(f"variable:{name}", []).append((layer, ("set", repr(value))))
    return out


def _contradictions(a: str, b: str) -> set[str]:
    """Subjects that layers of ``a`` and of ``b`` both change, differently."""
    ca, cb = _changes([a]), _changes([b])
    return {s for s in set(ca) & set(cb) if {p for _, p in ca[s]} != {p for _, p in cb[s]}}


def _emergency(codes: Iterable[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for layer in lineages(codes):
        for o in ops(layer, "set"):
            values.update({k: str(v) for k, v in (o.get("values") or {}).items() if k.startswith("emergency.")})
    return values


CROSS_BORDER = list(itertools.combinations(COUNTRIES, 2)) + [("us-il", "ca-qc"), ("us-ny", "ca-on"), ("uk", "eu")]


@pytest.mark.parametrize("a,b", CROSS_BORDER, ids=lambda v: str(v))
def test_cross_border_contradictions_are_reported_until_the_clinic_decides(real, a, b):
    """Every genuine contradiction is a ConflictError naming both layers; the clinic's own choices settle it."""
    expected = _contradictions(a, b)
    assert any(s.startswith("variable:emergency.") for s in expected), "countries set emergency.* differently"
    seen: set[str] = set()
    operations: list[dict] = []
    variables: dict[str, str] = {}
    for _ in range(len(expected) + 1):
        try:
            policy = real.resolve(target((a, b), (), operations, variables))
            break
        except ConflictError as exc:
            text = str(exc)
            found = re.search(r"layers '([^']+)' .* and '([^']+)' .* both change (clause|variable) '([^']+)'", text)
            assert found, text
            first, second, kind, name = found.groups()
            assert {first, second} & set(lineage(a)) and {first, second} & set(lineage(b)), text
            subject = f"{kind}:{name}"
            assert subject not in seen, f"conflict on {subject} was not settled by the clinic: {text}"
            seen.add(subject)
            if kind == "variable":
                variables[name] = _emergency([a])[name] if name.startswith("emergency.") else "clinic choice"
            else:
                operations.append({"op": "replace", "clause": name, "title": f"Our own {name}",
                                   "body": f"Our clinic's own wording for {name}.", "reason": "cross-border"})
    else:
        pytest.fail(f"still conflicting after settling {sorted(seen)}")
    assert seen == expected
    findings = real.check(policy)
    assert not problems(findings, "error"), problems(findings)
    chosen = _emergency([a])  # the clinic kept the first jurisdiction's numbers
    text = clause_texts(parse_policy(policy), policy)["emergencies"]
    assert all(value in text for value in chosen.values())


def test_uk_plus_eu_conflicts_on_emergency_numbers_unless_the_clinic_sets_them(real):
    with pytest.raises(ConflictError) as caught:
        real.resolve(target(("uk", "eu")))
    message = str(caught.value)
    assert "'uk'" in message and "'eu'" in message and "emergency." in message
    chosen = {"emergency.number": "999", "emergency.crisis_name": "Samaritans",
              "emergency.crisis_line": "call 116 123"}
    policy, findings, texts = resolve_and_check(real, target(("uk", "eu"), (), None, chosen))
    assert not problems(findings, "error")
    assert "999" in texts["emergencies"] and "Samaritans" in texts["emergencies"]
    assert policy.clause("website-cookies") and policy.clause("privacy-notice")  # both countries still apply


# ============================================================================ 6. emergency data

@pytest.mark.parametrize("code", COUNTRIES)
def test_every_country_sets_verified_emergency_data(code):
    sets = [o for o in ops(code, "set") if any(k.startswith("emergency.") for k in o.get("values", {}))]
    assert len(sets) == 1
    op = sets[0]
    assert {"emergency.number", "emergency.crisis_name", "emergency.crisis_line"} <= set(op["values"])
    assert all(str(v).strip() for v in op["values"].values())
    assert isinstance(op.get("last_verified"), dt.date)
    assert op["last_verified"] <= dt.date.fromisoformat(LATEST_REVIEW)
    assert isinstance(op.get("source"), str) and str(op["values"]["emergency.number"]) in op["source"]


@pytest.mark.parametrize("code", JURISDICTIONS)
def test_the_emergencies_clause_shows_the_numbers_of_the_jurisdiction(built, code):
    policy, _, texts = built((code,))
    text = texts["emergencies"]
    for name, value in _emergency([code]).items():
        assert value in text, (name, value)
        assert policy.variables[name].set_by in lineage(code)


ISSUE_FACTS = {  # emergency and crisis routes named in issue 4
    "us": ["911", "988"], "uk": ["999", "111", "Samaritans"], "ca": ["911", "988"],
    "au": ["000", "Lifeline"], "nz": ["111", "1737"], "eu": ["112"],
}


@pytest.mark.parametrize("code", sorted(ISSUE_FACTS))
def test_emergency_routes_match_the_issue(built, code):
    text = built((code,))[2]["emergencies"].replace("-", "")
    for fact in ISSUE_FACTS[code]:
        assert fact.replace("-", "") in text, fact


# ============================================================================ 7. stale reviews

def _stale_project(tmp_path: Path, layer: str = "uk", reviewed: str = "2020-01-01") -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "policies", root / "policies")
    text = FILE_OF[layer].read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^(\s+reviewed:).*$", rf"\1 {reviewed}", text, count=1)
    assert count == 1
    write(root / "layers" / f"{layer}.yaml", text)
    write(root / "policystack.yaml", "policy: policies/social-media\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    return root


def test_stale_review_warns_in_check_and_in_the_jurisdictions_listing(tmp_path):
    root = _stale_project(tmp_path)
    pipeline = Pipeline(load_project(root), make_plugins(plugins_dir=None, entry_points=False))
    policy = pipeline.resolve(target(("uk",)))
    findings = pipeline.check(policy)
    stale = [f for f in findings if f.code == "stale-review"]
    assert len(stale) == 1 and stale[0].severity == "warning" and stale[0].layer == "uk"
    assert "2020-01-01" in stale[0].message
    assert not problems(findings, "error")  # a warning, not a failure

    runner = CliRunner()
    listing = runner.invoke(main, ["--root", str(root), "jurisdictions"], catch_exceptions=False)
    assert listing.exit_code == 0
    line = next(l for l in listing.output.splitlines() if l.split()[:1] == ["uk"])
    assert "2020-01-01" in line and "WARNING" in line

    clinic_file = write(tmp_path / "clinic.yaml", "id: c\nname: C\nphone: '+44 20 0000 0000'\n"
                        "email: c@c.example\njurisdictions: [uk]\n")
    checked = runner.invoke(main, ["--root", str(root), "check", str(clinic_file)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    assert "layer 'uk'" in checked.output and "last reviewed 2020-01-01" in checked.output
    assert "0 error(s), 1 warning(s)" in checked.output


@pytest.mark.parametrize("days,stale", [(REVIEW_MAX_AGE_DAYS, False), (REVIEW_MAX_AGE_DAYS + 1, True)])
def test_real_content_turns_stale_twelve_months_after_its_review(real, monkeypatch, days, stale):
    code, profession = "us-ca", "psychologist"
    reviewed = {l: dt.date.fromisoformat(str(meta(l)["reviewed"])) for l in lineage(code) + ["apa"]}
    today = max(reviewed.values()) + dt.timedelta(days=days)
    monkeypatch.setenv("POLICYSTACK_TODAY", today.isoformat())
    findings = real.check(real.resolve(target((code,), (profession,))))
    warned = {f.layer for f in findings if f.code == "stale-review" and f.severity == "warning"}
    expected = {l for l, d in reviewed.items() if (today - d).days > REVIEW_MAX_AGE_DAYS}
    assert warned == expected and bool(warned) == stale
    listing = CliRunner().invoke(main, ["--root", str(REPO), "jurisdictions"], catch_exceptions=False).output
    flagged = {l.split()[0] for l in listing.splitlines() if "WARNING" in l} & set(RAW)
    assert flagged == {l for l in RAW if (today - dt.date.fromisoformat(str(meta(l)["reviewed"]))).days
                       > REVIEW_MAX_AGE_DAYS}


# ============================================================================ 8. citations, reviews, sources

CITED_OPS = ("add", "replace", "amend", "require", "forbid")
STATUSES = {"V", "V2", "U"}


def _tokens(citation: str) -> set[str]:
    """Words and section numbers of a citation, without descriptive parentheticals like '(testimonials)'."""
    citation = re.sub(r"\s\([^)]*[a-z]{3,}[^)]*\)", " ", citation.lower())
    return set(re.findall(r"[a-z0-9]+(?:\.[0-9a-z]+)*", citation))


def _best_sources(part: str, sources: list[dict]) -> tuple[float, list[dict]]:
    words = _tokens(part)
    scores = [(len(words & _tokens(s["citation"])) / len(words), s) for s in sources]
    best = max(score for score, _ in scores)
    return best, [s for score, s in scores if score == best]


@pytest.mark.parametrize("layer", sorted(RAW))
def test_every_layer_has_a_review_date_and_sources_and_every_change_is_cited(layer):
    data = meta(layer)
    assert FILE_OF[layer].parent.name == layer.split("-")[0] or FILE_OF[layer].parent.name == "professions"
    assert isinstance(data.get("reviewed"), dt.date)
    assert data.get("version") and data.get("name")
    sources = data.get("sources")
    assert sources, f"{layer} lists no sources"
    for source in sources:
        assert str(source.get("citation", "")).strip() and source.get("status") in STATUSES, source
        if source["status"] == "U":
            assert source.get("note"), f"U source without a note: {source['citation']}"
    for op in ops(layer, *CITED_OPS):
        assert str(op.get("citation") or "").strip(), f"{layer}: {op['op']} without a citation"
        if op["op"] in ("require", "forbid"):
            assert str(op.get("message") or "").strip(), f"{layer}: {op['op']} without a message"
        else:
            assert str(op.get("reason") or "").strip(), f"{layer}: {op['op']} without a reason"


@pytest.mark.parametrize("layer", sorted(RAW))
def test_every_citation_traces_to_a_listed_source_and_never_to_an_unverified_one(layer):
    sources = meta(layer)["sources"]
    for op in ops(layer, *CITED_OPS):
        for part in op["citation"].split(";"):
            score, best = _best_sources(part, sources)
            assert score >= 0.4, f"{layer}: {op['op']} cites {part.strip()!r}, which matches no listed source"
            unverified = [s["citation"] for s in best if s["status"] == "U"]
            assert not unverified, f"{layer}: {op['op']} cites {part.strip()!r}, an unverified (U) source"
