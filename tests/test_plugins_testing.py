"""The plugin author kit itself: policystack.testing fixtures, harness and document readers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from policystack import hookimpl
from policystack.layer_files import layer_from_data
from policystack.testing import SAMPLE_POLICY, PolicyHarness, read_document, write_project

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["policystack.testing", "pytester"]


class ClausePlugin:
    """A plugin object (not a module) adding one clause."""

    @hookimpl
    def policystack_register_layers(self, register):
        register(layer_from_data({
            "layer": {"id": "kit-clause", "kind": "module"},
            "operations": [{"op": "add", "id": "kit-clause", "title": "Kit clause", "topics": ["contact"],
                            "section": "messages", "body": "Added by the kit test."}],
        }, file="kit"))


def test_pytest11_entry_point_is_declared():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["pytest11"] == {"policystack.testing": "policystack.testing"}


def test_importing_the_kit_imports_nothing_else_of_policystack():
    code = "import sys, policystack.testing; print(sorted(m for m in sys.modules if m.startswith('policystack')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['policystack', 'policystack.testing']"


def test_fixtures_register_for_one_test_only(pytester: pytest.Pytester):
    pytester.makepyfile(textwrap.dedent('''
        from policystack import hookimpl
        from policystack.layer_files import layer_from_data

        class Plugin:
            @hookimpl
            def policystack_register_layers(self, register):
                register(layer_from_data({"layer": {"id": "once", "kind": "module"}, "operations": [
                    {"op": "add", "id": "once", "title": "Once", "topics": ["contact"], "after": "email",
                     "body": "Only in one test."}]}, file="x"))

        def test_first(register_plugin, policystack_harness):
            register_plugin(Plugin(), "once")
            assert "once" in policystack_harness.clause_ids()

        def test_second(policystack_harness, policystack_project, read_document):
            assert "once" not in policystack_harness.clause_ids()
            assert (policystack_project / "policystack.yaml").is_file()
            assert "Test Clinic" in read_document(policystack_harness.build("md"), "md")
        '''))
    result = pytester.runpytest("-p", "policystack.testing", "-q")
    result.assert_outcomes(passed=2)


def test_ini_option_uses_a_real_policy(pytester: pytest.Pytester):
    pytester.makeini(f"[pytest]\npolicystack_policy = {REPO / 'policies' / 'social-media'}\n")
    pytester.makepyfile(textwrap.dedent('''
        def test_real_policy(policystack_harness):
            assert "friend-requests" in policystack_harness.clause_ids()
        '''))
    result = pytester.runpytest("-p", "policystack.testing", "-q")
    result.assert_outcomes(passed=1)


def test_sample_policy_uses_the_real_clause_ids():
    real = {p.stem for p in (REPO / "policies" / "social-media" / "clauses").glob("*.md")}
    sample = {Path(name).stem for name in SAMPLE_POLICY if name.startswith("clauses/")}
    assert sample <= real


def test_every_registered_format_reads_back(policystack_harness: PolicyHarness):
    policy = policystack_harness.resolve()
    formats = list(policystack_harness.pipeline().renderers)
    assert {"md", "json"} <= set(formats)
    for fmt in formats:
        text = policystack_harness.text(fmt, flat=True)
        for clause in policy.clauses():
            assert clause.title in text, (fmt, clause.title)
        assert "Test Clinic" in text, fmt


def test_html_reader_skips_scripts_and_keeps_blocks():
    html = b"<html><head><style>p{}</style><script>var x;</script></head><body><h1>Title</h1>" \
           b"<p>One &amp; <b>two</b></p><ul><li>a</li><li>b</li></ul></body></html>"
    assert read_document(html, "html") == "Title\nOne & two\na\nb"


def test_docx_and_pdf_readers(tmp_path: Path):
    import io

    import docx
    import typst

    document = docx.Document()
    document.add_paragraph("First paragraph")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "left", "right"
    buffer = io.BytesIO()
    document.save(buffer)
    assert read_document(buffer.getvalue(), "docx") == "First paragraph\nleft | right"
    source = tmp_path / "doc.typ"
    source.write_text("Hello from a PDF\n")
    pdf = typst.compile(str(source), format="pdf")
    assert "Hello from a PDF" in read_document(pdf, "pdf", flat=True)


def test_harness_helpers(policystack_harness: PolicyHarness):
    name = policystack_harness.register(ClausePlugin())
    assert name == "ClausePlugin"
    with pytest.raises(ValueError, match="registered already"):
        policystack_harness.register(ClausePlugin())
    assert policystack_harness.plugin_info("ClausePlugin").hooks == ["policystack_register_layers"]
    with pytest.raises(LookupError, match="no plugin named 'nope'"):
        policystack_harness.plugin_info("nope")
    ids = policystack_harness.clause_ids()
    assert ids[ids.index("email") + 1] == "kit-clause"  # `section: messages` puts it at the section's end
    policystack_harness.unregister("ClausePlugin")
    assert "kit-clause" not in policystack_harness.clause_ids()
    target = policystack_harness.target(name="Other", variables={"telehealth": True})
    assert target.variables == {"telehealth": True} and target.jurisdictions == ("us-ca",)
    with pytest.raises(TypeError):
        policystack_harness.resolve(target, name="x")
    policystack_harness.add_layer("layer: {id: kit-org, kind: organization}\noperations:\n"
                                  "  - {op: set, values: {clinic.email_response_days: 5}}\n")
    assert policystack_harness.resolve(organization="kit-org").values()["clinic.email_response_days"] == 5


def test_write_project_layout(tmp_path: Path):
    root = write_project(tmp_path / "p", layers={"x.yaml": "layer: {id: x, kind: module}\n"})
    assert sorted(p.name for p in (root / "layers").iterdir()) == ["x.yaml"]
    assert (root / "policy" / "policy.yaml").is_file()
