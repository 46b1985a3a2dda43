"""Property: random sequences of valid operations never lose a clause without a 'remove',
and every clause's provenance accounts for exactly the changes made to it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from policystack.compose import compose
from policystack.layer_files import layer_from_data, target_from_data
from policystack.catalogue import Catalogue
from policystack.policy_files import read_policy

from conftest import REPO

BASE = read_policy(REPO / "policies" / "social-media")
BASE_ORDER = [c.id for s in BASE.sections for c in s.clauses]
WORDS = st.lists(st.sampled_from(["you", "we", "may", "call", "write", "never", "soon", "help"]),
                 min_size=1, max_size=6).map(lambda words: " ".join(words).capitalize() + ".")
KINDS = ("module", "organization", "clinic")


def _creates_cycle(edges: dict[str, str], clause: str, anchor: str) -> bool:
    node = anchor
    while node in edges:
        node = edges[node]
        if node == clause:
            return True
    return anchor == clause


@st.composite
def scenarios(draw):
    """Layers of random valid operations, plus the expected final order and per-clause op history."""
    order = list(BASE_ORDER)
    history = {cid: ["add"] for cid in order}
    removed: set[str] = set()
    layers = []
    counter = 0
    for kind in KINDS[: draw(st.integers(1, 3))]:
        ops = []
        edges: dict[str, str] = {}
        for _ in range(draw(st.integers(0, 8))):
            choice = draw(st.sampled_from(["add", "replace", "amend", "remove", "move"]))
            if len(order) < 3:
                choice = "add"
            if choice == "add":
                counter += 1
                new_id = f"new-{counter}"
                anchor = draw(st.sampled_from(order))
                where = draw(st.sampled_from(["before", "after"]))
                ops.append({"op": "add", "id": new_id, "title": f"New {counter}", "body": draw(WORDS), where: anchor})
                order.insert(order.index(anchor) + (where == "after"), new_id)
                history[new_id] = ["add"]
                continue
            clause = draw(st.sampled_from(order))
            if choice == "replace":
                ops.append({"op": "replace", "clause": clause, "body": draw(WORDS)})
            elif choice == "amend":
                ops.append({"op": "amend", "clause": clause, draw(st.sampled_from(["append", "prepend"])): draw(WORDS)})
            elif choice == "remove":
                ops.append({"op": "remove", "clause": clause, "reason": "not needed"})
                order.remove(clause)
                removed.add(clause)
                history[clause].append("remove")
                continue
            else:
                anchor = draw(st.sampled_from(order))
                if _creates_cycle(edges, clause, anchor):
                    continue
                edges[clause] = anchor
                where = draw(st.sampled_from(["before", "after"]))
                ops.append({"op": "move", "clause": clause, where: anchor})
                order.remove(clause)
                order.insert(order.index(anchor) + (where == "after"), clause)
            history[clause].append(choice)
        head = {"id": f"layer-{kind}", "kind": kind}
        if kind == "clinic":
            head["when"] = {"clinic.id": "c1"}
        layers.append(layer_from_data({"layer": head, "operations": ops}, file=f"<{kind}>"))
    return layers, order, history, removed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_operations_keep_every_clause_and_explain_every_change(scenario):
    layers, expected_order, history, removed = scenario
    if not any(layer.id == "layer-organization" for layer in layers):
        layers = layers + [layer_from_data({"layer": {"id": "layer-organization", "kind": "organization"}},
                                           file="<org>")]
    target = target_from_data({"id": "c1", "name": "C", "jurisdictions": ["xx"], "organization": "layer-organization"},
                              file="<t>")
    catalogue = Catalogue(layers + [layer_from_data({"layer": {"id": "xx", "kind": "jurisdiction"}}, file="<xx>")])
    policy = compose(BASE, catalogue, target)
    final = [c.id for c in policy.clauses()]
    assert final == expected_order
    # Nothing disappears without a remove; every removal is on record with its layer and reason.
    assert set(BASE_ORDER) - set(final) <= removed
    assert {c.id for c in policy.removed} == removed - set(final)
    for clause in policy.removed:
        assert clause.provenance[-1].op == "remove" and clause.provenance[-1].reason == "not needed"
    # Provenance lists exactly the operations applied to each clause, in order.
    for clause in policy.clauses():
        assert [p.op for p in clause.provenance] == history[clause.id]
        # A body that differs from where it started has a replace or amend on record.
        original = next((c.body for s in BASE.sections for c in s.clauses if c.id == clause.id), None)
        if original is not None and clause.body != original:
            assert {"replace", "amend"} & {p.op for p in clause.provenance}
        # Hashes chain: each step starts from the state the previous step left.
        for before, after in zip(clause.provenance, clause.provenance[1:]):
            assert after.before == before.after
