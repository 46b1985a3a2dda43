"""The compliance report: terminal table, JSON, and the document appendix."""

from __future__ import annotations

import json

from click.testing import CliRunner

from policystack.cli import main

from conftest import write

TARGET = """
id: bad-clinic
name: Bad Clinic
phone: "+1 555 0100"
email: a@b.example
jurisdictions: [us-ca]
operations:
  - op: amend
    clause: reviews
    append: Please leave us a 5-star review on every site.
    reason: marketing asked for it
  - op: remove
    clause: emergencies
    reason: we think it scares clients
"""


def test_table_and_json_name_rule_citation_clause_and_layer(project_dir, tmp_path):
    target = write(tmp_path / "bad.yaml", TARGET)
    runner = CliRunner()
    table = runner.invoke(main, ["--root", str(project_dir), "check", str(target), "-f", "table"])
    assert table.exit_code == 1
    assert "VIOLATED" in table.output and "UNMET" in table.output and "16 CFR Part 465" in table.output
    report = json.loads(runner.invoke(main, ["--root", str(project_dir), "check", str(target), "-f", "json"]).output)
    assert report["ok"] is False
    forbidden = [f for f in report["findings"] if f["code"] == "forbidden"]
    assert forbidden[0]["clause"] == "reviews" and forbidden[0]["layer"] == "clinic:bad-clinic"
    assert forbidden[0]["citation"] == "16 CFR Part 465" and "5-star" in forbidden[0]["message"]
    unmet = [f for f in report["findings"] if f["code"] == "unmet-requirement"]
    assert unmet[0]["layer"] == "us" and "emergencies" in unmet[0]["message"]
    assert "clinic:bad-clinic" in unmet[0]["message"] and "scares clients" in unmet[0]["message"]


def test_compliance_appendix_lists_every_rule(project_dir, tmp_path):
    target = write(tmp_path / "good.yaml", TARGET.split("operations:")[0])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--root", str(project_dir), "build", str(target), "-f", "md,json", "-o",
                                       str(out), "--appendix", "compliance"])
    assert result.exit_code == 0, result.output
    markdown = (out / "social-media.md").read_text()
    appendix = markdown.split("### Compliance appendix", 1)[1]
    assert "**met**" in appendix and "requires topic 'emergency'" in appendix.replace("\\", "")
    assert "**respected**" in appendix and "16 CFR Part 465" in appendix
    lock = json.loads((out / "social-media.json").read_text())
    assert lock["sections"][-1]["id"] == "appendix-compliance"


def test_check_flags_stale_overrides_and_broken_plugins(project_dir, tmp_path):
    write(project_dir / "layers" / "org.yaml", """
        layer: {id: org, kind: organization}
        operations:
          - op: replace
            clause: email
            body: Our own email wording.
            written_against: "0000000000000000"
        """)
    (project_dir / "plugins").mkdir()
    (project_dir / "plugins" / "broken_thing.py").write_text("import not_a_module_anywhere\n")
    target = write(tmp_path / "t.yaml", TARGET.split("operations:")[0] + "organization: org\n")
    result = CliRunner().invoke(main, ["--root", str(project_dir), "check", str(target), "-f", "json"])
    findings = json.loads(result.output)["findings"]
    stale = [f for f in findings if f["code"] == "stale-override"]
    assert stale and stale[0]["clause"] == "email" and stale[0]["layer"] == "org"
    broken = [f for f in findings if f["code"] == "broken-plugin"]
    assert broken and "broken_thing" in broken[0]["message"] and "not_a_module_anywhere" in broken[0]["message"]
    assert result.exit_code == 0  # warnings, not errors
