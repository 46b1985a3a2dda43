"""Every layer operation, precedence by data, and the conflict rules."""

from __future__ import annotations

import pytest

from policystack.errors import CompositionError, ConflictError
from policystack.model import Layer

from conftest import clinic


def ids(policy):
    return [c.id for c in policy.clauses()]


def test_base_policy_composes_with_jurisdiction_profession_and_org(pipeline):
    policy = pipeline.resolve(clinic(organization="acme"))
    assert [l.id for l in policy.layers] == ["us", "us-ca", "apa-test", "acme"]
    assert policy.variables["clinic.email_response_days"].value == 1
    assert policy.variables["clinic.email_response_days"].set_by == "acme"
    assert policy.variables["emergency.number"].set_by == "us"
    reviews = policy.clause("reviews")
    assert [p.layer for p in reviews.provenance] == ["base", "us-ca"]
    assert reviews.body.endswith("California law also protects your right to post a review.")
    assert reviews.provenance[-1].citation == "Cal. Civ. Code 1670.8"
    assert reviews.provenance[-1].reason == "anti-gag law"


@pytest.mark.parametrize("position, expected_neighbour", [
    ("before: email", ("email", 1)), ("after: email", ("email", -1)), ("section: messages", (None, None))])
def test_add_positions(layer_file, make_pipeline, position, expected_neighbour):
    layer_file("org", f"""
        layer: {{id: org, kind: organization}}
        operations:
          - op: add
            id: portal
            title: Our client portal
            topics: [contact]
            {position}
            body: Use the portal for private messages.
            reason: we have a portal
        """)
    policy = make_pipeline().resolve(clinic(organization="org"))
    order = ids(policy)
    portal = policy.clause("portal")
    assert portal.section == "messages"
    assert portal.provenance[0].layer == "org" and portal.provenance[0].op == "add"
    neighbour, offset = expected_neighbour
    if neighbour:
        assert order[order.index("portal") + offset] == neighbour
    else:
        messages = [c.id for s in policy.sections if s.id == "messages" for c in s.clauses]
        assert messages[-1] == "portal"


def test_add_creates_new_section_before_the_last_section(layer_file, make_pipeline):
    layer_file("org", """
        layer: {id: org, kind: organization}
        operations:
          - op: add
            id: video
            title: Video sessions
            section: telehealth
            section_title: Telehealth
            body: We use a secure video service.
        """)
    policy = make_pipeline().resolve(clinic(organization="org"))
    sections = [s.id for s in policy.sections]
    assert sections[-2:] == ["telehealth", "acknowledgement"]


def test_replace_amend_remove_move(layer_file, make_pipeline):
    layer_file("org", """
        layer: {id: org, kind: organization}
        operations:
          - op: replace
            clause: following
            title: Following us
            body: Please do not follow your clinician.
          - op: amend
            clause: email
            prepend: Email is for scheduling only.
          - op: remove
            clause: sharing-content
            reason: we do not accept shared content
          - op: move
            clause: testimonials
            before: purpose
        """)
    policy = make_pipeline().resolve(clinic(organization="org"))
    following = policy.clause("following")
    assert (following.title, following.body) == ("Following us", "Please do not follow your clinician.")
    assert policy.clause("email").body.startswith("Email is for scheduling only.\n\n")
    assert policy.clause("sharing-content") is None
    removed = {c.id: c for c in policy.removed}
    assert removed["sharing-content"].provenance[-1].reason == "we do not accept shared content"
    assert ids(policy)[0] == "testimonials"
    assert policy.clause("testimonials").section == "about"
    assert [p.op for p in policy.clause("testimonials").provenance] == ["add", "amend", "move"]


def test_set_defaults_do_not_override_values(layer_file, make_pipeline):
    layer_file("org", """
        layer: {id: org, kind: organization}
        operations:
          - op: set
            defaults: {emergency.number: "000", clinic.motto: Be well}
        """)
    policy = make_pipeline().resolve(clinic(organization="org"))
    assert policy.variables["emergency.number"].value == "911"
    assert policy.variables["clinic.motto"].value == "Be well"


def test_target_values_override_layers(pipeline):
    policy = pipeline.resolve(clinic(organization="acme", variables={"clinic": {"email_response_days": 3}}))
    assert policy.variables["clinic.email_response_days"].value == 3
    assert policy.variables["clinic.email_response_days"].set_by == "target:test-clinic"


def test_kind_rank_beats_priority(layer_file, make_pipeline):
    layer_file("org", """
        layer: {id: org, kind: organization, priority: -100}
        operations:
          - op: replace
            clause: reviews
            body: Organization wording.
        """)
    layer_file("us-ca", """
        layer: {id: us-ca, kind: jurisdiction, parent: us, priority: 100}
        operations:
          - op: replace
            clause: reviews
            body: State wording.
            citation: x
        """)
    policy = make_pipeline().resolve(clinic(organization="org"))
    assert policy.clause("reviews").body == "Organization wording."
    assert [p.layer for p in policy.clause("reviews").provenance] == ["base", "us-ca", "org"]


def test_parent_jurisdiction_is_added_and_applied_first(pipeline):
    policy = pipeline.resolve(clinic(jurisdictions=["us-ca"]))
    assert [l.id for l in policy.layers][:2] == ["us", "us-ca"]


def test_pluggy_registration_order_does_not_decide_precedence(make_pipeline):
    from policystack import hookimpl
    from policystack.layer_files import layer_from_data

    def plugin(layer_id: str, priority: int):
        class Plugin:
            @hookimpl
            def policystack_register_layers(self, register, project):
                register(layer_from_data({"layer": {"id": layer_id, "kind": "module", "priority": priority},
                                          "operations": [{"op": "add", "id": f"{layer_id}-clause", "after": "email",
                                                          "title": layer_id, "body": f"Text of {layer_id}."}]},
                                         file=f"<{layer_id}>"))
        return Plugin()

    first, second = plugin("mod-a", 2), plugin("mod-b", 1)
    orders = []
    for extra in ([("a", first), ("b", second)], [("b", second), ("a", first)]):
        policy = make_pipeline(tuple(extra)).resolve(clinic())
        orders.append(ids(policy))
        assert [l.id for l in policy.layers if l.kind == "module"] == ["mod-b", "mod-a"]
    assert orders[0] == orders[1]
    position = orders[0].index("email")
    assert orders[0][position:position + 3] == ["email", "mod-a-clause", "mod-b-clause"]


def test_same_rank_conflict_names_both_layers_and_clause(layer_file, make_pipeline):
    for name, text in (("x", "X wording."), ("y", "Y wording.")):
        layer_file(f"us-{name}", f"""
            layer: {{id: us-{name}, kind: jurisdiction, parent: us}}
            operations:
              - op: replace
                clause: reviews
                body: {text}
                citation: c
            """)
    with pytest.raises(ConflictError) as caught:
        make_pipeline().resolve(clinic(jurisdictions=["us-x", "us-y"]))
    message = str(caught.value)
    assert "'us-x'" in message and "'us-y'" in message and "reviews" in message


def test_declared_after_resolves_the_conflict(layer_file, make_pipeline):
    layer_file("us-x", """
        layer: {id: us-x, kind: jurisdiction, parent: us}
        operations:
          - {op: replace, clause: reviews, body: X wording., citation: c}
        """)
    layer_file("us-y", """
        layer: {id: us-y, kind: jurisdiction, parent: us, after: [us-x]}
        operations:
          - {op: replace, clause: reviews, body: Y wording., citation: c}
        """)
    for order in (["us-x", "us-y"], ["us-y", "us-x"]):
        policy = make_pipeline().resolve(clinic(jurisdictions=order))
        assert policy.clause("reviews").body == "Y wording."


def test_identical_changes_are_not_a_conflict_and_apply_once(layer_file, make_pipeline):
    for name in ("x", "y"):
        layer_file(f"us-{name}", f"""
            layer: {{id: us-{name}, kind: jurisdiction, parent: us}}
            operations:
              - {{op: amend, clause: reviews, append: Shared wording., citation: law {name}}}
            """)
    policy = make_pipeline().resolve(clinic(jurisdictions=["us-x", "us-y"]))
    assert policy.clause("reviews").body.count("Shared wording.") == 1
    steps = policy.clause("reviews").provenance
    assert [s.layer for s in steps] == ["base", "us-x", "us-y"]
    assert "not applied twice" in steps[-1].note


def test_conflict_overridden_by_a_higher_layer_is_allowed(layer_file, make_pipeline):
    for name in ("x", "y"):
        layer_file(f"us-{name}", f"""
            layer: {{id: us-{name}, kind: jurisdiction, parent: us}}
            operations:
              - {{op: replace, clause: reviews, body: {name} wording., citation: c}}
            """)
    policy = make_pipeline().resolve(clinic(jurisdictions=["us-x", "us-y"], operations=[
        {"op": "replace", "clause": "reviews", "title": "Reviews", "body": "The clinic's own wording."}]))
    assert policy.clause("reviews").body == "The clinic's own wording."


def test_conflicting_variables_between_stacked_jurisdictions(pipeline):
    with pytest.raises(ConflictError, match="emergency.crisis_line"):
        pipeline.resolve(clinic(jurisdictions=["us", "ca"]))
    policy = pipeline.resolve(clinic(jurisdictions=["us", "ca"], variables={
        "emergency": {"crisis_name": "988 (US) or 9-8-8 (Canada)", "crisis_line": "call or text 988",
                      "number": "911"}}))
    assert policy.variables["emergency.crisis_name"].value.startswith("988 (US)")


def test_requirements_accumulate_across_stacked_jurisdictions(layer_file, make_pipeline):
    layer_file("ca", """
        layer: {id: ca, kind: jurisdiction}
        operations:
          - {op: require, topic: newsletter, citation: CASL s.6}
        """)
    policy = make_pipeline().resolve(clinic(jurisdictions=["us", "ca"]))
    assert {(r.layer, r.topic or r.pattern) for r in policy.rules} >= {("us", "emergency"), ("ca", "newsletter")}


def test_after_cycle_is_an_error(layer_file, make_pipeline):
    layer_file("m1", "layer: {id: m1, kind: module, after: [m2]}\n")
    layer_file("m2", "layer: {id: m2, kind: module, after: [m1]}\n")
    with pytest.raises(CompositionError, match="cycle"):
        make_pipeline().resolve(clinic())


def test_layer_objects_are_plain_values():
    layer = Layer(id="x", kind="module")
    assert layer.rank == 1 and layer.operations == ()
