"""The DOCX package a policy is poured into: built once per reference document per process.

Follows pandoc's reference-doc convention: styles, theme, fonts, page set-up and
headers (a logo, say) come from the reference DOCX; its body text is ignored.
python-docx opens the reference and adds any style the renderer needs that it
lacks; the parts are then kept as bytes (constant ones compressed once), and each
policy only supplies ``document.xml``, ``numbering.xml``, a footer, the
relationships and the core properties.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .ziputil import Entry, deflate

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NUMBERING = R + "/numbering"
REL_FOOTER = R + "/footer"
REL_HYPERLINK = R + "/hyperlink"
FOOTER_PART = "word/footer-policystack.xml"
FOOTER_RID = "rIdPsFooter"
NUMBERING_RID = "rIdPsNumbering"
_DROP = ("docProps/thumbnail.jpeg", "word/stylesWithEffects.xml", "customXml/")

#: Styles the renderer uses: role → (name, type, based on). Added to the reference when missing.
STYLES = {
    "title": ("Title", "paragraph", None),
    "subtitle": ("Subtitle", "paragraph", None),
    "heading1": ("Heading 1", "paragraph", None),
    "heading2": ("Heading 2", "paragraph", None),
    "body": ("Body Text", "paragraph", "Normal"),
    "list": ("List Paragraph", "paragraph", "Body Text"),
    "quote": ("Quote", "paragraph", "Body Text"),
    "footer": ("Footer", "paragraph", "Normal"),
    "hyperlink": ("Hyperlink", "character", None),
    "table": ("Normal Table", "table", None),
}


@dataclass(frozen=True)
class Package:
    """A prepared package: constant entries, per-document templates and style ids by role."""

    constant: tuple[Entry, ...]  # compressed once, written as they are
    content_types: Entry
    root_rels: Entry
    document_rels: str  # the reference's relationships without numbering/footers, not yet closed
    numbering_head: str  # numbering.xml up to where abstract numberings go
    numbering_nums: str  # the reference's own <w:num> elements
    numbering_tail: str
    sect_pr: str  # the page set-up, with our footer reference
    style_ids: dict[str, str]
    app: Entry


def _ensure_styles(document) -> dict[str, str]:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt, RGBColor

    kinds = {"paragraph": WD_STYLE_TYPE.PARAGRAPH, "character": WD_STYLE_TYPE.CHARACTER,
             "table": WD_STYLE_TYPE.TABLE}
    styles = document.styles
    ids: dict[str, str] = {}
    for role, (name, kind, based_on) in STYLES.items():
        style = next((s for s in styles if s.name == name and s.type == kinds[kind]), None)
        if style is None:
            style = styles.add_style(name, kinds[kind])
            if based_on:
                base = next((s for s in styles if s.name == based_on), None)
                if base is not None:
                    style.base_style = base
            if role == "hyperlink":
                style.font.underline = True
                style.font.color.rgb = RGBColor(0x1F, 0x5F, 0x8B)
            elif role == "body":
                style.paragraph_format.space_after = Pt(6)
        ids[role] = style.style_id
    return ids


def _drop(name: str) -> bool:
    return any(name == d or (d.endswith("/") and name.startswith(d)) for d in _DROP)


def _clean_types(xml: str) -> str:
    xml = re.sub(r'<Override PartName="/(?:docProps/thumbnail\.jpeg|word/stylesWithEffects\.xml|'
                 r'customXml/[^"]*)"[^>]*/>', "", xml)
    xml = re.sub(r'<Override PartName="/word/(?:numbering\.xml|footer-policystack\.xml)"[^>]*/>', "", xml)
    extra = ('<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.numbering+xml"/>'
             f'<Override PartName="/{FOOTER_PART}" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.footer+xml"/>')
    return xml.replace("</Types>", extra + "</Types>")


def _clean_root_rels(xml: str) -> str:
    return re.sub(r'<Relationship [^>]*Target="docProps/thumbnail\.jpeg"[^>]*/>', "", xml)


_REL = re.compile(r"<Relationship\b[^>]*?/>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def _relationships(xml: str) -> list[dict[str, str]]:
    return [dict(_ATTR.findall(rel)) for rel in _REL.findall(xml)]


def _document_rels(xml: str) -> tuple[str, set[str]]:
    """The reference's document relationships minus numbering, footers and dropped parts; footer targets."""
    kept, footers = [], set()
    for rel, attrs in zip(_REL.findall(xml), _relationships(xml)):
        kind = attrs.get("Type", "")
        if kind == REL_FOOTER:
            footers.add("word/" + attrs.get("Target", "").lstrip("/").removeprefix("word/"))
        elif kind == REL_NUMBERING or kind.endswith(("/customXml", "/stylesWithEffects")):
            continue
        else:
            kept.append(rel)
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">')
    return head + "".join(kept), footers


def _sect_pr(document_xml: bytes) -> str:
    """The reference's page set-up with its footers replaced by ours."""
    from lxml import etree

    root = etree.fromstring(document_xml)
    body = root.find(f"{{{W}}}body")
    sect = body.find(f"{{{W}}}sectPr") if body is not None else None
    if sect is None:
        sect = etree.fromstring(f'<w:sectPr xmlns:w="{W}"><w:pgSz w:w="12240" w:h="15840"/>'
                                '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" '
                                'w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>')
    for ref in sect.findall(f"{{{W}}}footerReference"):
        sect.remove(ref)
    headers = sect.findall(f"{{{W}}}headerReference")
    footer = etree.Element(f"{{{W}}}footerReference", nsmap={"w": W, "r": R})
    footer.set(f"{{{W}}}type", "default")
    footer.set(f"{{{R}}}id", FOOTER_RID)
    sect.insert(sect.index(headers[-1]) + 1 if headers else 0, footer)
    if sect.find(f"{{{W}}}titlePg") is not None:  # a distinct first page would lose our footer
        sect.remove(sect.find(f"{{{W}}}titlePg"))
    for attr in list(sect.attrib):
        if "rsid" in attr:
            del sect.attrib[attr]
    return etree.tostring(sect, encoding="unicode")


def _split_numbering(xml: str | None) -> tuple[str, str, str]:
    if not xml:
        head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:numbering xmlns:w="{W}">')
        return head, "", "</w:numbering>"
    first_num = xml.find("<w:num ")
    if first_num < 0:
        first_num = xml.find("<w:num>")
    close = xml.rfind("</w:numbering>")
    cleanup = xml.find("<w:numIdMacAtCleanup")
    if cleanup >= 0:  # must stay last: keep it in the tail
        close = cleanup
    if first_num < 0:
        return xml[:close], "", xml[close:]
    return xml[:first_num], xml[first_num:close], xml[close:]


APP_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           '<Application>policystack</Application><DocSecurity>0</DocSecurity>'
           '<LinksUpToDate>false</LinksUpToDate></Properties>')


def build_package(reference: Path | None) -> Package:
    """Open ``reference`` (or python-docx's default template) and prepare the package."""
    import docx

    document = docx.Document(str(reference) if reference else None)
    style_ids = _ensure_styles(document)
    buffer = io.BytesIO()
    document.save(buffer)
    parts = {}
    with zipfile.ZipFile(buffer) as archive:
        for info in archive.infolist():
            parts[info.filename] = archive.read(info.filename)
    sect_pr = _sect_pr(parts["word/document.xml"])
    document_rels, footer_parts = _document_rels(parts["word/_rels/document.xml.rels"].decode("utf-8"))
    numbering = parts.get("word/numbering.xml")
    head, nums, tail = _split_numbering(numbering.decode("utf-8") if numbering else None)
    settings = parts.get("word/settings.xml")
    if settings is not None:
        parts["word/settings.xml"] = re.sub(rb"<w:rsids>.*?</w:rsids>", b"", settings, flags=re.S)
    skip = {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels",
            "word/numbering.xml", "docProps/core.xml", "docProps/app.xml"}
    footer_parts |= {f"word/_rels/{name.rsplit('/', 1)[-1]}.rels" for name in footer_parts}
    constant = tuple(deflate(name, parts[name]) for name in sorted(parts)
                     if name not in skip and not _drop(name) and name not in footer_parts)
    types = _clean_types(parts["[Content_Types].xml"].decode("utf-8"))
    for name in footer_parts:
        types = types.replace(f'<Override PartName="/{name}"', '<Override PartName="/__dropped__"')
    types = re.sub(r'<Override PartName="/__dropped__"[^>]*/>', "", types)
    return Package(
        constant=constant,
        content_types=deflate("[Content_Types].xml", types.encode("utf-8")),
        root_rels=deflate("_rels/.rels", _clean_root_rels(parts["_rels/.rels"].decode("utf-8")).encode("utf-8")),
        document_rels=document_rels,
        numbering_head=head, numbering_nums=nums, numbering_tail=tail,
        sect_pr=sect_pr, style_ids=style_ids, app=deflate("docProps/app.xml", APP_XML.encode("utf-8")))


@lru_cache(maxsize=8)
def _cached(reference: str, stamp: float) -> Package:
    return build_package(Path(reference) if reference else None)


def package_for(reference: Path | None) -> Package:
    """The prepared package for ``reference`` (rebuilt when the file changes)."""
    if reference is None:
        return _cached("", 0.0)
    return _cached(str(reference.resolve()), reference.stat().st_mtime)
