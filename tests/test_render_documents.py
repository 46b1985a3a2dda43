"""DOCX, PDF and HTML renderers, read back by independent readers (python-docx, pandoc, pypdf, html5lib)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import textwrap
import warnings
import zipfile
from pathlib import Path

import html5lib
import pytest
from lxml import etree

from policystack.content import lookup_for, parse_policy
from policystack.ids import bookmark_name, clause_id_from_bookmark
from policystack.layer_files import target_from_data
from policystack.markup import pandoc_path, plain_inlines
from policystack.model import ResolvedPolicy
from policystack.pipeline import Pipeline
from policystack.plugins import make_plugins
from policystack.project import load_project

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("docx", "pdf", "html")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOSTILE = "<script>alert(1)</script> & \"O'Brien\" מרפאת שלום عيادة السلام 東京心療所 😀👍🏽"

LAYERS = {
    "us": """
        layer: {id: us, kind: jurisdiction, name: Testland, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "911"
              emergency.crisis_name: the test crisis line
              emergency.crisis_line: call or text 988
        """,
    "psych": """
        layer: {id: psych-test, kind: profession, name: Test psychology code, professions: [psychologist],
                reviewed: 2026-11-01}
        operations:
          - op: amend
            clause: testimonials
            append: Our psychologists never ask current clients for testimonials.
            citation: test code 5.05
        """,
    "org": """
        layer: {id: test-org, kind: organization, name: Test Org, version: "2.0"}
        operations:
          - op: add
            id: formatting
            title: Formatting for {{ clinic.name }}
            after: purpose
            body: |
              Some *emphasis*, some **strong words** and [our website](https://test.example/about)
              or [email](mailto:{{ clinic.email }}).
              A [bad link](javascript:alert(1)) stays text.

              3. third step
              4. fourth step with **bold**
                 - a nested point
                 - another nested point

              > A quoted remark from {{ clinic.name }}.
        """,
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A throwaway project: the real base policy, tiny layers, and the example branding for the org."""
    root = tmp_path_factory.mktemp("render") / "project"
    shutil.copytree(REPO / "policies", root / "policies")
    _write(root / "policystack.yaml", "policy: policies/social-media\nlayer_paths: [layers, org/layers]\n")
    _write(root / "layers" / "us.yaml", LAYERS["us"])
    _write(root / "layers" / "psych.yaml", LAYERS["psych"])
    _write(root / "org" / "layers" / "test-org.yaml", LAYERS["org"])
    shutil.copytree(REPO / "examples" / "harbor-network" / "branding", root / "org" / "branding")
    return Pipeline(load_project(root), make_plugins(plugins_dir=None, entry_points=False))


def _target(name: str, organization: str | None = "test-org"):
    data = {"id": "t-clinic", "name": name, "phone": "+1 555 0100", "email": "hello@test.example",
            "website": "https://test.example/clinic", "jurisdictions": ["us"], "profession": "psychologist"}
    if organization:
        data["organization"] = organization
    return target_from_data(data, file="t-clinic.yaml")


@pytest.fixture(scope="module")
def built(pipeline: Pipeline) -> tuple[ResolvedPolicy, dict[str, bytes]]:
    policy, _, outputs = pipeline.build(_target("Harbor Test Clinic"), FORMATS)
    return policy, outputs


@pytest.fixture(scope="module")
def hostile(pipeline: Pipeline) -> tuple[ResolvedPolicy, dict[str, bytes], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy, _, outputs = pipeline.build(_target(HOSTILE), FORMATS)
    return policy, outputs, [str(w.message) for w in caught]


def _titles(policy: ResolvedPolicy) -> list[str]:
    lookup = lookup_for(policy)
    return [plain_inlines(c.title, lookup) for c in parse_policy(policy)]


def _in_order(haystack: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"{needle!r} missing or out of order"
        position = found + len(needle)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ------------------------------------------------------------------ HTML

def _html(data: bytes):
    return html5lib.parse(data, treebuilder="lxml", namespaceHTMLElements=False)


def test_html_structure(built) -> None:
    policy, outputs = built
    tree = _html(outputs["html"])
    assert tree.getroot().get("lang") == "en"
    assert len(tree.findall(".//main")) == 1 and len(tree.findall(".//main/article")) == 1
    sections = tree.xpath("//section[@id]")
    assert [s.get("id") for s in sections] == [c.id for c in policy.clauses()]
    assert [s.findtext("h3") for s in sections] == _titles(policy)
    levels = [int(h.tag[1]) for h in tree.iter() if isinstance(h.tag, str) and re.fullmatch(r"h[1-6]", h.tag)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    assert not tree.xpath("//script | //link | //iframe | //object | //embed")
    assert [e.get("src")[:22] for e in tree.xpath("//*[@src]")] == ["data:image/png;base64,"]  # the logo
    assert tree.xpath("//style") and "@media print" in tree.xpath("//style")[0].text
    assert tree.xpath("//meta[@name='viewport']")


def test_html_markup_and_facts(built) -> None:
    policy, outputs = built
    tree = _html(outputs["html"])
    clause = tree.xpath("//section[@id='formatting']")[0]
    assert clause.xpath(".//em")[0].text == "emphasis" and clause.xpath(".//strong")[0].text == "strong words"
    hrefs = [a.get("href") for a in clause.xpath(".//a")]
    assert hrefs == ["https://test.example/about", "mailto:hello@test.example", "#"]
    assert clause.xpath(".//ol")[0].get("start") == "3" and clause.xpath(".//ol/li/ul/li")
    assert clause.xpath(".//blockquote")
    text = "".join(tree.getroot().itertext())
    for expected in ("Harbor Test Clinic", policy.meta.version, policy.meta.effective, "Testland",
                     "Test psychology code", "Not legal advice", "Client signature", "Clinician signature"):
        assert expected in text
    assert b"javascript:" not in outputs["html"]


# ------------------------------------------------------------------ DOCX

def _docx(data: bytes):
    import docx

    return docx.Document(io.BytesIO(data))


def test_docx_headings_styles_and_properties(built) -> None:
    policy, outputs = built
    document = _docx(outputs["docx"])
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == [policy.meta.title]
    assert by_style["Heading 1"] == [s.title for s in policy.sections]
    assert by_style["Heading 2"] == _titles(policy)
    assert len(by_style["Body Text"]) > 30
    assert document.styles["Heading 1"].style_id == "Heading1"  # Word's built-in heading styles
    props = document.core_properties
    assert (props.title, props.subject, props.version, props.language) == (
        policy.meta.title, policy.meta.id, policy.meta.version, policy.meta.language)
    assert props.keywords.split(", ") == [layer.id for layer in policy.layers]
    assert props.created.year == 2027 and props.modified == props.created


def test_docx_bookmarks_lists_footer_signatures(built) -> None:
    policy, outputs = built
    archive = zipfile.ZipFile(io.BytesIO(outputs["docx"]))
    body = etree.fromstring(archive.read("word/document.xml"))
    names = [b.get(W + "name") for b in body.iter(W + "bookmarkStart")]
    assert names == [bookmark_name(c.id) for c in policy.clauses()]
    assert [clause_id_from_bookmark(n) for n in names] == [c.id for c in policy.clauses()]
    starts = {b.get(W + "id") for b in body.iter(W + "bookmarkStart")}
    assert starts == {b.get(W + "id") for b in body.iter(W + "bookmarkEnd")}
    numbered = [p for p in body.iter(W + "p") if p.find(f"{W}pPr/{W}numPr") is not None]
    assert len(numbered) > 10
    numbering = etree.fromstring(archive.read("word/numbering.xml"))
    formats = {f.get(W + "val") for f in numbering.iter(W + "numFmt")}
    assert {"bullet", "decimal"} <= formats
    assert any(s.get(W + "val") == "3" for s in numbering.iter(W + "startOverride"))
    footer = archive.read("word/footer-policystack.xml").decode()
    assert " PAGE " in footer and " NUMPAGES " in footer and f"Version {policy.meta.version}" in footer
    document = _docx(outputs["docx"])
    table = document.tables[-1]
    assert [row.cells[0].text.strip() for row in table.rows] == [f"{s} signature" for s in policy.meta.signers]
    borders = table._tbl.tblPr.find(W + "tblBorders")
    assert borders is not None and {b.get(W + "val") for b in borders} == {"nil"}
    header = document.sections[0].header
    assert "Harbor Health Counseling" in header.paragraphs[0].text  # branding from the org's folder
    assert header.part.related_parts and any("image" in p.content_type for p in header.part.related_parts.values())


def test_docx_read_by_pandoc(built) -> None:
    policy, outputs = built
    completed = subprocess.run([pandoc_path(), "-f", "docx", "-t", "plain", "--wrap=none", "-s"],
                               input=outputs["docx"], capture_output=True, check=True)
    text = completed.stdout.decode("utf-8")
    lookup = lookup_for(policy)
    expected = []
    for content in parse_policy(policy):
        expected.append(plain_inlines(content.title, lookup))
        stack = list(content.blocks)
        while stack:
            block = stack.pop(0)
            if block[0] == "para":
                expected.append(plain_inlines(block[1], lookup))
            elif block[0] == "quote":
                stack[:0] = block[1]
            else:
                items = block[1] if block[0] == "bullet" else block[2]
                stack[:0] = [b for item in items for b in item]
    _in_order(_squash(text), [_squash(e) for e in expected])
    assert "Client signature" in text and policy.meta.title in text
    native = subprocess.run([pandoc_path(), "-f", "docx", "-t", "markdown", "--wrap=none"], input=outputs["docx"],
                            capture_output=True, check=True).stdout.decode("utf-8")
    assert "*emphasis*" in native and "**strong words**" in native
    assert "[our website](https://test.example/about)" in native
    assert "[email](mailto:hello@test.example)" in native
    assert re.search(r"^3\. +third step", native, re.M)


# ------------------------------------------------------------------ PDF

def _pdf(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def _outline(reader, items=None) -> list[str]:
    titles = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            titles.extend(_outline(reader, item))
        else:
            titles.append(item.title)
    return titles


def test_pdf_text_outline_fonts(built) -> None:
    policy, outputs = built
    reader = _pdf(outputs["pdf"])
    text = "\n".join(page.extract_text() for page in reader.pages)
    titles = _titles(policy)
    _in_order(_squash(text), [_squash(t) for t in titles])
    title_of = dict(zip([c.id for c in policy.clauses()], titles))
    headings = []
    for section in policy.sections:
        headings.append(section.title)
        headings.extend(title_of[clause.id] for clause in section.clauses)
    assert _outline(reader) == headings
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    assert f"Version {policy.meta.version}" in reader.pages[-1].extract_text()
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.metadata.title == policy.meta.title and reader.metadata.subject == policy.meta.id
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/Subtype"] == "/Type3":  # colour emoji, drawn as images
                continue
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
    links = [a.get_object()["/A"].get("/URI") for page in reader.pages for a in page.get("/Annots", [])
             if a.get_object().get("/Subtype") == "/Link"]
    assert "https://test.example/about" in links and not any("javascript" in str(u) for u in links)


# ------------------------------------------------------------------ all formats

def test_hostile_values_come_out_literally(hostile) -> None:
    from policystack.rendering.fonts import missing_characters

    policy, outputs, messages = hostile
    tree = _html(outputs["html"])
    assert not tree.xpath("//script")
    assert tree.xpath("//p[@class='clinic']")[0].xpath("string()") == HOSTILE
    assert HOSTILE in tree.xpath("string(//section[@id='acknowledgement'])")
    document = _docx(outputs["docx"])
    assert document.paragraphs[1].text == HOSTILE
    plain = subprocess.run([pandoc_path(), "-f", "docx", "-t", "plain", "--wrap=none"], input=outputs["docx"],
                           capture_output=True, check=True).stdout.decode("utf-8")
    assert HOSTILE in plain
    pdf_text = "\n".join(page.extract_text() for page in _pdf(outputs["pdf"]).pages)
    missing = missing_characters(HOSTILE)
    for word in HOSTILE.split():
        if not set(word) & set(missing):
            assert word in pdf_text, word  # right-to-left words come out in visual order, each word intact
    if missing:  # this machine lacks a CJK or emoji font: the renderer must say which characters
        assert any(f"U+{ord(missing[0]):04X}" in m for m in messages)
        assert f"U+{ord(missing[0]):04X}" in pdf_text


def test_rebuilds_are_byte_identical(pipeline, built) -> None:
    from policystack.builtins import pdf
    from policystack.rendering import docx_package, templates

    _, first = built
    docx_package._cached.cache_clear()
    pdf.compiler.cache_clear()
    templates.jinja_template.cache_clear()
    fresh = Pipeline(pipeline.project, make_plugins(plugins_dir=None, entry_points=False))
    _, _, second = fresh.build(_target("Harbor Test Clinic"), FORMATS)
    for name in FORMATS:
        assert first[name] == second[name], name
    infos = zipfile.ZipFile(io.BytesIO(first["docx"])).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert infos[0].filename == "[Content_Types].xml"


def test_default_template_without_branding(pipeline) -> None:
    policy, _, outputs = pipeline.build(_target("Plain Clinic", organization=None), ["docx"])
    document = _docx(outputs["docx"])
    assert not any(p.text for p in document.sections[0].header.paragraphs)
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"] == _titles(policy)


def test_registered_formats(pipeline) -> None:
    renderers = pipeline.renderers
    assert {"docx", "pdf", "html"} <= set(renderers)
    assert renderers["docx"].extension == "docx" and renderers["pdf"].media_type == "application/pdf"


def test_pdf_names_characters_it_cannot_show(pipeline, monkeypatch) -> None:
    from policystack.builtins.pdf import MissingGlyphsWarning
    from policystack.errors import PolicystackError
    from policystack.rendering import fonts

    monkeypatch.setattr(fonts, "system_font_dirs", lambda: [])  # as on a machine with no CJK font
    policy = pipeline.resolve(_target("Clinic 診所"))
    with pytest.warns(MissingGlyphsWarning, match="U\\+8A3A CJK UNIFIED IDEOGRAPH-8A3A"):
        outputs = pipeline.render(policy, ["pdf"])
    text = "\n".join(page.extract_text() for page in _pdf(outputs["pdf"]).pages)
    assert "could not display" in text and "U+8A3A" in text and "U+6240" in text
    with pytest.raises(PolicystackError, match="U\\+8A3A"):
        pipeline.render(policy, ["pdf"], options={"strict_fonts": True})


@pytest.mark.parametrize("name", ['Clinic "A" \\ B', '")))\n#panic("laid out as markup")', "\\u{41} \\\" `raw` $x$ <l> @r",
                                  "line\u2028para\u2029next\x85end", HOSTILE])
def test_pdf_data_reaches_the_template_as_data(name: str) -> None:
    """The main source the renderer compiles carries the JSON intact: same PDF as through sys.inputs."""
    import json

    import typst

    from policystack.builtins.pdf import main_source
    from policystack.rendering.fonts import BUNDLED
    from policystack.rendering.templates import TEMPLATES, template_path

    data = {"title": name, "clinic": name, "contact": [name], "facts": [["Clinic", name]], "lang": "en",
            "subject": name, "keywords": [name], "date": [2027, 1, 1], "signers": [name],
            "sections": [{"title": name, "last": True, "clauses": [
                {"label": "c-one", "title": [["text", name]], "blocks": [["para", [["text", name]]]]}]}],
            "footer": name, "paper": "a4", "fonts": ["Noto Sans"], "missing": [], "logo": None,
            "organization": name}
    text = json.dumps(data, ensure_ascii=False)
    compiler = typst.Compiler(str(template_path("policy.typ")), root=str(TEMPLATES), font_paths=[str(BUNDLED)])
    through_inputs = compiler.compile(format="pdf", sys_inputs={"doc": text}, timestamp=0)
    through_source = compiler.compile(input=main_source(text), format="pdf", timestamp=0)
    assert through_source == through_inputs  # a value read as markup would panic or lay out differently


@pytest.mark.parametrize("count", [3, 40])
def test_missing_characters_in_order_of_first_appearance(count: int) -> None:
    from policystack.rendering.fonts import missing_characters

    private = [chr(0xF8FF - i) for i in range(count)]  # private-use characters: no font has them
    text = "plain · text " + " ".join(private) + " " + "".join(reversed(private)) + " ünïcode"
    assert missing_characters(text, system=False) == private
    assert missing_characters("all ASCII") == []


def test_pandoc_reference_doc_is_accepted(pipeline, tmp_path: Path) -> None:
    reference = tmp_path / "reference.docx"
    subprocess.run([pandoc_path(), "-o", str(reference), "--print-default-data-file", "reference.docx"], check=True)
    policy = pipeline.resolve(_target("Plain Clinic", organization=None))
    data = pipeline.render(policy, ["docx"], options={"reference_docx": reference})["docx"]
    document = _docx(data)
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"] == _titles(policy)
    assert {"Title", "Body Text", "List Paragraph", "Heading 1"} <= {p.style.name for p in document.paragraphs}
    markdown = subprocess.run([pandoc_path(), "-f", "docx", "-t", "markdown"], input=data, capture_output=True,
                              check=True).stdout.decode("utf-8")
    assert "## Not legal advice" in markdown
