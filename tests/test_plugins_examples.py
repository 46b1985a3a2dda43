"""The example plugins in plugins/: the telehealth clause and the plain-text portal format."""

from __future__ import annotations

import importlib.util
import re
import shutil
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.testing import PolicyHarness, write_project

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "plugins"

pytest_plugins = ["policystack.testing"]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", PLUGINS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def harness(tmp_path: Path) -> PolicyHarness:
    """The real base policy with the kit's tiny jurisdictions, and both example plugins."""
    harness = PolicyHarness(write_project(tmp_path / "project", policy=REPO / "policies" / "social-media"))
    harness.register(load("telehealth"), "telehealth")
    harness.register(load("portal_text"), "portal_text")
    return harness


# ---------------------------------------------------------------- reading level

def syllables(word: str) -> int:
    """A plain vowel-group count (silent final e dropped), at least 1."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level; list items count as sentences."""
    sentences = [s for s in re.split(r"[.!?:]+\s|\n", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return 0.39 * len(words) / len(sentences) + 11.8 * sum(map(syllables, words)) / len(words) - 15.59


def test_reading_grade_helper_is_sane():
    assert reading_grade("The cat sat on the mat. It was warm.") < 2
    assert reading_grade("Notwithstanding contemporaneous documentation, practitioners' "
                         "jurisdictional obligations necessitate comprehensive consideration.") > 14


# ---------------------------------------------------------------- telehealth

def test_telehealth_clause_only_for_telehealth_clinics(harness: PolicyHarness):
    assert "video-sessions" not in harness.clause_ids()
    assert "video-sessions" not in harness.clause_ids(variables={"telehealth": False})
    ids = harness.clause_ids(variables={"telehealth": True})
    assert ids[ids.index("email") + 1] == "video-sessions"


def test_telehealth_clause_data(harness: PolicyHarness):
    policy = harness.resolve(variables={"telehealth": True})
    clause = policy.clause("video-sessions")
    assert clause.topics == ("telehealth",)
    assert clause.section == "messages"
    [step] = clause.provenance
    assert (step.layer, step.op, step.reason) == ("telehealth-video", "add", "The clinic offers sessions by video.")
    layer = next(layer for layer in policy.layers if layer.id == "telehealth-video")
    assert (layer.kind, layer.plugin, layer.version) == ("module", "telehealth", "1.0.0")


def test_telehealth_clause_is_plain_language(harness: PolicyHarness):
    clause = harness.resolve(variables={"telehealth": True}).clause("video-sessions")
    grade = reading_grade(clause.body.replace("- ", ""))
    assert grade <= 9, grade
    assert max(len(s.split()) for s in re.split(r"[.!?]\s", clause.body)) <= 25


def test_telehealth_clause_passes_checks_and_renders(harness: PolicyHarness):
    assert [f for f in harness.check(variables={"telehealth": True}) if f.severity == "error"] == []
    text = harness.text("md", variables={"telehealth": True})
    assert "### Video sessions" in text and "We do not record video sessions." in text


def test_telehealth_layer_can_be_removed_by_a_clinic(harness: PolicyHarness):
    ids = harness.clause_ids(variables={"telehealth": True},
                             operations=[{"op": "remove", "clause": "video-sessions", "reason": "We stopped."}])
    assert "video-sessions" not in ids


# ---------------------------------------------------------------- portal text

def test_txt_has_every_clause_and_no_markup(harness: PolicyHarness):
    policy = harness.resolve(variables={"telehealth": True})
    text = harness.text("txt", variables={"telehealth": True})
    for clause in policy.clauses():
        assert clause.title.upper() in text
    for section in policy.sections:
        assert section.title in text
    assert "**" not in text and "{{" not in text and "\\" not in text and "#" not in text
    assert "Client signature: ____" in text and "Clinician signature: ____" in text
    assert text.endswith("\n")


def test_txt_lines_fit_a_portal_box(harness: PolicyHarness):
    text = harness.text("txt")
    long_lines = [line for line in text.splitlines() if len(line) > 72 and " " in line.strip()
                  and not line.startswith(("http", "Harbor"))]
    assert long_lines == []


def test_txt_keeps_values_as_data(harness: PolicyHarness):
    text = harness.text("txt", name="*Stars* & <Tags> Clinic", id="stars")
    assert "*Stars* & <Tags> Clinic" in text


def test_txt_renderer_registration(harness: PolicyHarness):
    renderer = harness.pipeline().renderers["txt"]
    assert (renderer.extension, renderer.media_type, renderer.plugin) == ("txt", "text/plain; charset=utf-8",
                                                                          "portal_text")


# ---------------------------------------------------------------- through the command line

def test_examples_from_the_plugins_folder(tmp_path: Path):
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    shutil.copytree(PLUGINS, root / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "clinic.yaml").write_text(textwrap.dedent("""
        id: video-clinic
        name: Video Clinic
        phone: "+1 555 0100"
        email: video@clinic.example
        jurisdictions: [us-ca]
        variables: {telehealth: true}
        """))
    runner = CliRunner()
    listed = runner.invoke(main, ["--root", str(root), "plugins"])
    assert "telehealth 1.0.0" in listed.output and "portal_text 1.0.0" in listed.output
    assert "BROKEN" not in listed.output
    out = tmp_path / "out"
    built = runner.invoke(main, ["--root", str(root), "build", str(root / "clinic.yaml"), "-f", "txt,md",
                                 "-o", str(out)])
    assert built.exit_code == 0, built.output
    assert "VIDEO SESSIONS" in (out / "social-media.txt").read_text(encoding="utf-8")
    assert "### Video sessions" in (out / "social-media.md").read_text(encoding="utf-8")
