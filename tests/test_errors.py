"""Bad input: one clear line naming file, layer and clause; non-zero exit; nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main

from conftest import write

TARGET = """
id: test-clinic
name: Test Clinic
phone: "+1 555 0100"
email: hello@test.example
jurisdictions: [us-ca]
organization: {org}
"""


def run(project_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(project_dir), *args], catch_exceptions=False)


def build_with(project_dir: Path, tmp_path: Path, org_text: str | None = None, target_text: str | None = None):
    if org_text is not None:
        write(project_dir / "layers" / "org.yaml", org_text)
    target = write(tmp_path / "clinic.yaml", target_text or TARGET.format(org="org"))
    out = tmp_path / "out"
    result = run(project_dir, "build", str(target), "-f", "md,json", "-o", str(out))
    return result, out


def assert_one_line_error(result, *fragments: str, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


ORG = "layer: {{id: org, kind: organization}}\noperations:\n{ops}"


@pytest.mark.parametrize("ops, fragments", [
    ("  - {op: replace, clause: emial, body: x}\n", ["org.yaml:3", "layer 'org'", "clause 'emial'",
                                                      "does not exist", "did you mean 'email'"]),
    ("  - {op: add, id: email, title: T, body: B, after: purpose}\n", ["layer 'org'", "clause 'email'",
                                                                      "duplicate clause id"]),
    ("  - {op: amend, clause: email, append: 'Write to {{ clinic.fax }}.'}\n",
     ["layer 'org'", "clause 'email'", "clinic.fax", "not set"]),
    ("  - {op: move, clause: email, after: email}\n", ["clause 'email'", "impossible move"]),
    ("  - {op: move, clause: email, after: newsletter}\n  - {op: move, clause: newsletter, after: email}\n",
     ["layer 'org'", "cyclic move"]),
    ("  - {op: remove, clause: email}\n", ["org.yaml:3", "'remove' needs a reason"]),
    ("  - {op: remove, clause: email, reason: x}\n  - {op: amend, clause: email, append: y}\n",
     ["clause 'email'", "which layer 'org' removed"]),
    ("  - {op: replace, clause: email, body: '# Heading'}\n", ["clause 'email'", "heading"]),
    ("  - {op: frobnicate, clause: email}\n", ["org.yaml:3", "unknown operation 'frobnicate'"]),
])
def test_bad_layer_operations(project_dir, tmp_path, ops, fragments):
    result, out = build_with(project_dir, tmp_path, ORG.format(ops=ops))
    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_malformed_yaml_names_file_and_line(project_dir, tmp_path):
    result, out = build_with(project_dir, tmp_path, "layer:\n  id: org\n  kind: [organization\n")
    assert_one_line_error(result, "org.yaml:", "malformed YAML")
    assert not out.exists()


def test_conflicting_layers(project_dir, tmp_path):
    for name in ("x", "y"):
        write(project_dir / "layers" / f"us-{name}.yaml", f"""
            layer: {{id: us-{name}, kind: jurisdiction, parent: us}}
            operations:
              - {{op: replace, clause: reviews, body: {name}, citation: c}}
            """)
    target = TARGET.format(org="acme").replace("[us-ca]", "[us-x, us-y]")
    result, out = build_with(project_dir, tmp_path, target_text=target)
    assert_one_line_error(result, "'us-x'", "'us-y'", "clause 'reviews'")
    assert not out.exists()


@pytest.mark.parametrize("change, fragments", [
    (("[us-ca]", "[us-zz]"), ["clinic.yaml", "unknown jurisdiction 'us-zz'"]),
    (("organization: acme", "organization: acne"), ["unknown organization 'acne'", "did you mean 'acme'"]),
    (("id: test-clinic", "id: ../evil"), ["clinic.yaml", "invalid clinic id"]),
])
def test_bad_targets(project_dir, tmp_path, change, fragments):
    target = TARGET.format(org="acme").replace(*change)
    result, out = build_with(project_dir, tmp_path, target_text=target)
    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_unfilled_variable_from_base_when_no_jurisdiction_sets_it(project_dir, tmp_path):
    write(project_dir / "layers" / "xx.yaml", "layer: {id: xx, kind: jurisdiction}\n")
    target = TARGET.format(org="acme").replace("[us-ca]", "[xx]")
    result, out = build_with(project_dir, tmp_path, target_text=target)
    line = assert_one_line_error(result, "clause 'emergencies'", "emergency.")
    assert "more error" in line
    assert not out.exists()
    check = run(project_dir, "check", str(tmp_path / "clinic.yaml"))
    assert check.exit_code == 1
    reported = [l for l in check.output.splitlines() if l.startswith("error:")]
    assert len(reported) == 3  # emergency.number, crisis_name, crisis_line: all at once


def test_unknown_format_is_a_usage_error(project_dir, tmp_path):
    target = write(tmp_path / "clinic.yaml", TARGET.format(org="acme"))
    result = run(project_dir, "build", str(target), "-f", "rtf")
    assert_one_line_error(result, "unknown format 'rtf'", exit_code=2)


def test_debug_shows_the_traceback(project_dir, tmp_path):
    target = write(tmp_path / "clinic.yaml", TARGET.format(org="acne"))
    result = CliRunner().invoke(main, ["--root", str(project_dir), "--debug", "build", str(target)])
    assert result.exit_code != 0
    assert result.exception is not None and "unknown organization" in str(result.exception)


def test_hostile_values_come_out_literally(project_dir, tmp_path):
    hostile = '<script>alert(1)</script> & "Sons" {{ clinic.id }} *bold* [x](javascript:alert(1))'
    target = write(tmp_path / "clinic.yaml", TARGET.format(org="acme") + f"name: {json.dumps(hostile)}\n"
                   .replace("name: Test Clinic\n", ""))
    text = target.read_text().replace("name: Test Clinic\n", "")
    target.write_text(text)
    out = tmp_path / "out"
    result = run(project_dir, "build", str(target), "-f", "md,json", "-o", str(out))
    assert result.exit_code == 0, result.output
    lock = json.loads((out / "social-media.json").read_text())
    assert lock["target"]["name"] == hostile
    assert lock["variables"]["clinic.name"]["value"] == hostile
    ack = next(c for s in lock["sections"] for c in s["clauses"] if c["id"] == "acknowledgement")
    assert "{{ clinic.name }}" in ack["body"]
    # Read the Markdown back with pandoc: the name is text, not markup, and no variable is re-expanded.
    import subprocess
    from policystack.markup import pandoc_path
    plain = subprocess.run([pandoc_path(), "-f", "markdown-smart", "-t", "plain", "--wrap=none",
                            str(out / "social-media.md")], capture_output=True, text=True, check=True).stdout
    assert hostile in plain
    html = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "html", str(out / "social-media.md")],
                          capture_output=True, text=True, check=True).stdout
    assert "<script>" not in html and "javascript:" not in html.replace("javascript:alert(1))", "")


def test_written_against_must_be_a_hash(project_dir, tmp_path):
    ops = "  - {op: replace, clause: email, body: x, written_against: yesterday}\n"
    result, out = build_with(project_dir, tmp_path, ORG.format(ops=ops))
    assert_one_line_error(result, "org.yaml:3", "'written_against' must be a quoted content hash")
    assert not out.exists()


def test_renderer_warnings_print_as_clean_lines(project_dir, tmp_path, monkeypatch):
    from policystack.rendering import fonts

    monkeypatch.setattr(fonts, "system_font_dirs", lambda: [])  # as on a machine with no CJK font
    target = write(tmp_path / "clinic.yaml", TARGET.format(org="acme").replace("name: Test Clinic",
                                                                                "name: Clinic 診所"))
    result = run(project_dir, "build", str(target), "-f", "pdf", "-o", str(tmp_path / "out.pdf"))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings and "U+8A3A" in warnings[0]
    assert "Warning:" not in result.output  # no raw Python warning lines


def test_render_flags_reach_the_renderers(project_dir, tmp_path):
    from pypdf import PdfReader

    target = write(tmp_path / "clinic.yaml", TARGET.format(org="acme"))  # a US clinic: letter by default
    for paper, width in (("a4", 595), ("letter", 612)):
        out = tmp_path / f"{paper}.pdf"
        result = run(project_dir, "build", str(target), "-f", "pdf", "-o", str(out), "--paper", paper)
        assert result.exit_code == 0, result.output
        assert round(float(PdfReader(out).pages[0].mediabox.width)) == width
