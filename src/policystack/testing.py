"""Test helpers for plugin authors, shipped as a pytest plugin.

Installing policystack makes these fixtures available in every pytest run
(entry point ``pytest11``: ``policystack.testing``; or add ``-p policystack.testing``):

``policystack_harness``
    A :class:`PolicyHarness` on a throwaway project. Plugins you register on it
    exist for this one test only; every build uses a fresh plugin manager.
``register_plugin``
    ``register_plugin(plugin, name=None)``: register a plugin on the harness.
``policystack_project``
    The throwaway project folder (a small sample policy, jurisdictions ``us``,
    ``us-ca`` and ``ca``). Set the ini option ``policystack_policy`` to a policy
    folder to test against your real base policy instead.
``read_document``
    ``read_document(data, fmt)``: the text of a rendered document
    (md, txt, json, html, docx, pdf).

This module imports only the standard library and pytest at import time, so
loading it costs nothing and cannot fail because of the rest of policystack.
"""

from __future__ import annotations

import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pytest

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from .model import Finding, ResolvedPolicy, Target
    from .pipeline import Pipeline
    from .plugins import PluginInfo

__all__ = ["PolicyHarness", "read_document", "write_project", "SAMPLE_POLICY", "SAMPLE_LAYERS"]

#: A small base policy with the same section and clause ids as the shipped social-media policy
#: (so positions such as ``after: email`` work in tests and in real builds). File name → text.
SAMPLE_POLICY: dict[str, str] = {
    "policy.yaml": """\
        id: social-media
        title: Social Media and Electronic Communication Policy
        version: 1.0.0
        effective: 2027-01-01
        language: en
        signers: [Client, Clinician]
        defaults:
          clinic.email_response_days: 2
        sections:
          - {id: about, title: About this policy, clauses: [purpose]}
          - {id: messages, title: "Messages, texts and email", clauses: [how-to-reach-us, messaging, email]}
          - {id: online-privacy, title: Your privacy online, clauses: [reviews, testimonials]}
          - {id: emergencies, title: Emergencies, clauses: [emergencies]}
          - {id: acknowledgement, title: Acknowledgement, last: true, clauses: [acknowledgement]}
        """,
    "clauses/purpose.md": """\
        ---
        id: purpose
        title: Why we have this policy
        topics: [notice_consent]
        ---
        This policy explains how {{ clinic.name }} uses phones, email and the internet with clients.
        """,
    "clauses/how-to-reach-us.md": """\
        ---
        id: how-to-reach-us
        title: How to reach us
        topics: [contact]
        ---
        Call us at {{ clinic.phone }} to book or change a session.
        """,
    "clauses/messaging.md": """\
        ---
        id: messaging
        title: Messages on social networks
        topics: [messaging]
        ---
        We do not answer messages sent through social networks.
        """,
    "clauses/email.md": """\
        ---
        id: email
        title: Email
        topics: [email]
        ---
        Use email for practical things such as times and bills. We reply within
        {{ clinic.email_response_days }} business days.
        """,
    "clauses/reviews.md": """\
        ---
        id: reviews
        title: Online reviews
        topics: [reviews]
        ---
        You are free to write a review of us anywhere. We will not reply to it.
        """,
    "clauses/testimonials.md": """\
        ---
        id: testimonials
        title: Testimonials
        topics: [testimonials]
        ---
        We never ask clients for testimonials.
        """,
    "clauses/emergencies.md": """\
        ---
        id: emergencies
        title: In an emergency
        topics: [emergency]
        ---
        Call {{ emergency.number }} if you are in danger. You can also contact
        {{ emergency.crisis_name }} ({{ emergency.crisis_line }}).
        """,
    "clauses/acknowledgement.md": """\
        ---
        id: acknowledgement
        title: Your acknowledgement
        topics: [acknowledgement]
        ---
        By signing, you confirm you have read this policy.
        """,
}

#: Tiny jurisdiction layers that fill the emergency variables. File name → YAML text.
SAMPLE_LAYERS: dict[str, str] = {
    "us.yaml": """\
        layer: {id: us, kind: jurisdiction, name: United States, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "911"
              emergency.crisis_name: the 988 Lifeline
              emergency.crisis_line: call or text 988
        """,
    "us-ca.yaml": """\
        layer: {id: us-ca, kind: jurisdiction, name: California, parent: us, version: "1.0", reviewed: 2026-11-01}
        """,
    "ca.yaml": """\
        layer: {id: ca, kind: jurisdiction, name: Canada, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "911"
              emergency.crisis_name: the 9-8-8 helpline
              emergency.crisis_line: call or text 9-8-8
        """,
}

#: The clinic every harness build uses unless a test passes other fields.
DEFAULT_TARGET: dict[str, Any] = {
    "id": "test-clinic", "name": "Test Clinic", "phone": "+1 555 0100", "email": "hello@clinic.example",
    "jurisdictions": ["us-ca"],
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def write_project(root: Path, *, policy: Path | None = None,
                  layers: Mapping[str, str] | None = None) -> Path:
    """Write a project into ``root``: a base policy (a copy of ``policy``, else the sample),
    ``layers/`` (``layers``, else the sample jurisdictions) and ``policystack.yaml``. Returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    policy_dir = root / "policy"
    if policy is not None:
        shutil.copytree(policy, policy_dir, dirs_exist_ok=True)
    else:
        for name, text in SAMPLE_POLICY.items():
            _write(policy_dir / name, text)
    for name, text in (SAMPLE_LAYERS if layers is None else layers).items():
        _write(root / "layers" / name, text)
    _write(root / "policystack.yaml", "policy: policy\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    return root


class _Text(HTMLParser):
    """Visible text of an HTML document, one line per block element."""

    _BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "br", "tr", "section", "header",
               "footer", "title", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def read_document(data: bytes, fmt: str, *, flat: bool = False) -> str:
    """The text of a rendered document, for assertions: ``fmt`` is a format name or file extension.

    ``html``/``htm``: visible text; ``docx``: paragraphs and table cells (needs python-docx);
    ``pdf``: extracted text (needs pypdf); anything else is decoded as UTF-8. ``flat=True``
    joins everything with single spaces, so a phrase is found even where a PDF wrapped it.
    """
    if flat:
        return " ".join(read_document(data, fmt).split())
    fmt = fmt.lower().lstrip(".")
    if fmt in ("html", "htm"):
        parser = _Text()
        parser.feed(data.decode("utf-8"))
        return _tidy("".join(parser.parts))
    if fmt == "docx":
        import io

        import docx  # python-docx, imported only when a DOCX is read

        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" | ".join(cell.text for cell in row.cells))
        return _tidy("\n".join(lines))
    if fmt == "pdf":
        import io

        import pypdf  # imported only when a PDF is read

        reader = pypdf.PdfReader(io.BytesIO(data))
        return _tidy("\n".join(page.extract_text() or "" for page in reader.pages))
    return data.decode("utf-8")


class PolicyHarness:
    """Build policies on one project with plugins registered for one test only.

    Each call to :meth:`pipeline` makes a fresh plugin manager holding the
    built-ins plus the plugins registered here (installed entry points and the
    project's plugins folder are left out unless asked for), so nothing leaks
    between tests.
    """

    def __init__(self, project_root: Path, *, entry_points: bool = False, plugins_dir: Path | None = None) -> None:
        self.project_root = Path(project_root)
        self.entry_points = entry_points
        self.plugins_dir = plugins_dir
        self._extra: list[tuple[str, Any]] = []

    # ------------------------------------------------------------ plugins

    def register(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin (module, class instance or any object with ``@hookimpl`` methods).

        Returns the name it is registered under (default: the module or class name).
        """
        if name is None:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            name = name.rsplit(".", 1)[-1]
        if any(existing == name for existing, _ in self._extra):
            raise ValueError(f"a plugin named {name!r} is registered already in this test")
        self._extra.append((name, plugin))
        return name

    def unregister(self, name: str) -> None:
        """Remove a plugin registered on this harness."""
        self._extra = [(n, p) for n, p in self._extra if n != name]

    def pipeline(self) -> "Pipeline":
        """A fresh pipeline: built-ins + registered plugins (+ entry points / plugins folder if enabled).

        A registered plugin that fails to register (e.g. a hook signature mismatch)
        raises :class:`policystack.errors.PluginError` here, naming it.
        """
        from .errors import PluginError
        from .pipeline import Pipeline
        from .plugins import make_plugins
        from .project import load_project

        plugins = make_plugins(plugins_dir=self.plugins_dir, entry_points=self.entry_points, extra=self._extra)
        registered = {name for name, _ in self._extra}
        for info in plugins.broken:
            if info.name in registered:
                raise PluginError(f"plugin '{info.name}' could not be registered: {info.error}")
        return Pipeline(load_project(self.project_root, plugins_dir=self.plugins_dir), plugins)

    def plugin_info(self, name: str) -> "PluginInfo":
        """What ``policystack plugins`` would show for plugin ``name`` (hooks, version, error)."""
        from .plugins import make_plugins

        plugins = make_plugins(plugins_dir=self.plugins_dir, entry_points=self.entry_points, extra=self._extra)
        for info in plugins.infos:
            if info.name == name:
                return info
        raise LookupError(f"no plugin named {name!r} (loaded: {', '.join(i.name for i in plugins.infos)})")

    # ------------------------------------------------------------ project content

    def add_layer(self, text: str, name: str | None = None) -> Path:
        """Write a YAML layer into the project's ``layers/`` folder; returns its path."""
        import re

        if name is None:
            match = re.search(r"\bid:\s*([a-z0-9][a-z0-9-]*)", text)
            name = match.group(1) if match else f"layer-{len(list(self.project_root.glob('layers/*')))}"
        path = self.project_root / "layers" / f"{name}.yaml"
        _write(path, text)
        return path

    # ------------------------------------------------------------ building

    def target(self, **fields: Any) -> "Target":
        """A clinic: :data:`DEFAULT_TARGET` with ``fields`` replacing its values (``variables={...}`` too)."""
        from .layer_files import target_from_data

        data = dict(DEFAULT_TARGET)
        data.update(fields)
        return target_from_data(data, file=f"<test clinic {data.get('id')}>")

    def _target(self, target: "Target | None", fields: Mapping[str, Any]) -> "Target":
        if target is not None and fields:
            raise TypeError("pass either a target or target fields, not both")
        return target if target is not None else self.target(**fields)

    def resolve(self, target: "Target | None" = None, **fields: Any) -> "ResolvedPolicy":
        """Compose the policy of ``target`` (or of a clinic made from ``fields``)."""
        return self.pipeline().resolve(self._target(target, fields))

    def check(self, target: "Target | None" = None, **fields: Any) -> "list[Finding]":
        """Every finding of the built-in checks and the ``policystack_validate`` hooks."""
        pipeline = self.pipeline()
        return pipeline.check(pipeline.resolve(self._target(target, fields)))

    def build(self, fmt: str = "md", target: "Target | None" = None, **fields: Any) -> bytes:
        """Compose, check and render one format; check errors raise ``BuildFailed``."""
        _, _, outputs = self.pipeline().build(self._target(target, fields), [fmt])
        return outputs[fmt]

    def text(self, fmt: str = "md", target: "Target | None" = None, *, flat: bool = False, **fields: Any) -> str:
        """Build one format and read its text back (see :func:`read_document`; ``flat`` too)."""
        pipeline = self.pipeline()
        extension = pipeline.renderer(fmt).extension
        _, _, outputs = pipeline.build(self._target(target, fields), [fmt])
        return read_document(outputs[fmt], extension, flat=flat)

    def clause_ids(self, target: "Target | None" = None, **fields: Any) -> list[str]:
        """The clause ids of the composed policy, in document order."""
        return [clause.id for clause in self.resolve(target, **fields).clauses()]


# ---------------------------------------------------------------- pytest plugin

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("policystack_policy", "policy folder that policystack_project copies instead of the "
                  "built-in sample policy", default="")


@pytest.fixture
def policystack_project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A throwaway project folder (sample policy, or the ini ``policystack_policy``; jurisdictions us, us-ca, ca)."""
    configured = request.config.getini("policystack_policy")
    policy = (Path(str(request.config.rootpath)) / configured) if configured else None
    return write_project(tmp_path / "policystack-project", policy=policy)


@pytest.fixture
def policystack_harness(policystack_project: Path) -> PolicyHarness:
    """A :class:`PolicyHarness` on ``policystack_project``; what you register lasts this test only."""
    return PolicyHarness(policystack_project)


@pytest.fixture
def register_plugin(policystack_harness: PolicyHarness) -> Callable[..., str]:
    """``register_plugin(plugin, name=None)``: register a plugin on ``policystack_harness`` for this test."""
    return policystack_harness.register


@pytest.fixture(name="read_document")
def _read_document_fixture() -> Callable[[bytes, str], str]:
    """``read_document(data, fmt)``: the text of a rendered document."""
    return read_document

