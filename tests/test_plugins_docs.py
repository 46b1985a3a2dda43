"""docs/plugins.md and hookspecs.py must agree: one section per hook, with its exact signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Callable

from policystack import hookspecs

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "plugins.md"
HEADING = re.compile(r"^### (policystack_\w+)\((.*)\)\s*$", re.MULTILINE)


def hooks() -> dict[str, Callable]:
    """Every hook the contract declares."""
    return {name: fn for name, fn in vars(hookspecs).items()
            if name.startswith("policystack_") and callable(fn)}


def _clean(annotation: object) -> str:
    return str(annotation).replace('"', "").replace("'", "")


def typed_signature(name: str, fn: Callable) -> str:
    """``def name(a: A, b: B) -> R`` as written in hookspecs.py (string annotations, quotes dropped)."""
    signature = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {_clean(p.annotation)}" for p in signature.parameters.values())
    return f"def {name}({params}) -> {_clean(signature.return_annotation)}"


def doc_problems(text: str) -> list[str]:
    """What is wrong between the hook reference ``text`` and hookspecs.py (empty when they agree)."""
    problems = []
    specs = hooks()
    sections = {}
    matches = list(HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        sections[match.group(1)] = (match.group(2), text[match.end():end])
    for name, fn in specs.items():
        if name not in sections:
            problems.append(f"{name}: no section '### {name}(...)'")
            continue
        args, body = sections[name]
        documented = [a.strip() for a in args.split(",") if a.strip()]
        expected = list(inspect.signature(fn).parameters)
        if documented != expected:
            problems.append(f"{name}: heading has ({', '.join(documented)}), hookspecs.py has ({', '.join(expected)})")
        code = re.search(r"```python\n(def [^\n]+)\n```", body)
        if code is None or code.group(1).strip() != typed_signature(name, fn):
            problems.append(f"{name}: documented signature {code.group(1) if code else None!r} differs from "
                            f"{typed_signature(name, fn)!r}")
        for part in ("**When it fires:**", "**Parameters:**", "**Return:**", "**Ordering:**", "**Example"):
            if part not in body:
                problems.append(f"{name}: section lacks {part}")
    for name in sections:
        if name not in specs:
            problems.append(f"{name}: documented but not a hook in hookspecs.py")
    return problems


def test_every_hook_is_documented_with_its_exact_signature():
    assert doc_problems(DOC.read_text(encoding="utf-8")) == []


def test_a_missing_section_fails():
    text = DOC.read_text(encoding="utf-8")
    start = text.index("### policystack_variables(")
    end = text.index("### ", start + 4)
    problems = doc_problems(text[:start] + text[end:])
    assert problems == ["policystack_variables: no section '### policystack_variables(...)'"]


def test_a_changed_signature_fails():
    text = DOC.read_text(encoding="utf-8")
    renamed = text.replace("### policystack_validate(policy)", "### policystack_validate(resolved)")
    assert any("heading has (resolved)" in p for p in doc_problems(renamed))
    retyped = text.replace("def policystack_validate(policy: ResolvedPolicy)", "def policystack_validate(policy: Any)")
    assert any(p.startswith("policystack_validate: documented signature") for p in doc_problems(retyped))


def test_a_documented_hook_that_does_not_exist_fails():
    text = DOC.read_text(encoding="utf-8") + "\n### policystack_gone(x)\n"
    assert "policystack_gone: documented but not a hook in hookspecs.py" in doc_problems(text)


def test_contract_version_is_documented():
    assert f"(now `{hookspecs.HOOK_CONTRACT_VERSION}`)" in DOC.read_text(encoding="utf-8")


def test_every_hook_has_its_own_test():
    """The datasette habit: a test named test_hook_<hook> for each hook."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").glob("test_plugins*.py"))
    missing = [name for name in hooks() if f"def test_hook_{name}" not in sources]
    assert missing == []


def test_every_hook_docstring_says_when_it_fires():
    for name, fn in hooks().items():
        assert "Fires" in (fn.__doc__ or ""), name


def doc_plugin_examples() -> list[str]:
    """The Python examples of docs/plugins.md that are whole plugins (they use @hookimpl)."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [b for b in blocks if "@hookimpl" in b]


def test_every_documented_example_is_a_working_plugin(tmp_path):
    from click.testing import CliRunner

    from policystack.cli import main
    from policystack.plugins import make_plugins
    from policystack.testing import write_project

    examples = doc_plugin_examples()
    assert len(examples) >= 6
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    for index, source in enumerate(examples):
        (root / "plugins").mkdir(exist_ok=True)
        (root / "plugins" / f"example{index}.py").write_text(source, encoding="utf-8")
    found = make_plugins(plugins_dir=root / "plugins", entry_points=False)
    assert [(i.name, i.error) for i in found.infos if i.error] == []
    (root / "clinic.yaml").write_text('id: c1\nname: Clinic One\nphone: "1"\nemail: a@b.example\n'
                                      "jurisdictions: [us-ca]\nvariables: {telehealth: true}\n")
    runner = CliRunner()
    built = runner.invoke(main, ["--root", str(root), "build", str(root / "clinic.yaml")])
    assert built.exit_code == 0, built.output
    assert "Messages after hours" in built.output and "Video sessions" in built.output
    plain = runner.invoke(main, ["--root", str(root), "build", str(root / "clinic.yaml"), "-f", "plain"])
    assert plain.exit_code == 0 and "Clinic One" in plain.output
    counted = runner.invoke(main, ["--root", str(root), "count-clauses", str(root / "clinic.yaml")])
    assert counted.exit_code == 0, counted.output
    assert int(counted.output) >= 20
