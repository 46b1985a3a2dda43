"""The small per-document DOCX parts: footer, core properties, relationships, signature table."""

from __future__ import annotations

from typing import Callable

from ..model import ResolvedPolicy
from .common import Front, fixed_date, layer_keywords, xml_text
from .docx_package import FOOTER_PART, FOOTER_RID, NUMBERING_RID, REL_FOOTER, REL_HYPERLINK, REL_NUMBERING, Package

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _field(instruction: str, shown: str) -> str:
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> '
            f'{instruction} </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>{shown}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')


def footer_xml(front: Front, styles: dict[str, str]) -> str:
    """Footer: version and effective date on the left, "Page X of Y" (fields) on the right."""
    text = xml_text(f"Version {front.version} · Effective {front.effective}")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:ftr {_W}>'
            f'<w:p><w:pPr><w:pStyle w:val="{styles["footer"]}"/><w:tabs><w:tab w:val="clear" w:pos="4680"/>'
            '<w:tab w:val="clear" w:pos="9360"/><w:tab w:val="right" w:pos="9360"/></w:tabs></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r><w:r><w:tab/></w:r>'
            '<w:r><w:t xml:space="preserve">Page </w:t></w:r>' + _field("PAGE", "1")
            + '<w:r><w:t xml:space="preserve"> of </w:t></w:r>' + _field("NUMPAGES", "1")
            + "</w:p></w:ftr>")


def core_xml(policy: ResolvedPolicy) -> str:
    """Core properties: title, subject (policy id), version, language, keywords (layers), fixed dates."""
    stamp = fixed_date(policy).isoformat() + "T00:00:00Z"
    meta = policy.meta
    title = xml_text(meta.title)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{title}</dc:title><dc:subject>{xml_text(meta.id)}</dc:subject>"
            f"<dc:creator>policystack</dc:creator><cp:keywords>{xml_text(layer_keywords(policy))}</cp:keywords>"
            f"<dc:description>{xml_text(policy.target.name)}</dc:description>"
            f"<cp:lastModifiedBy>policystack</cp:lastModifiedBy><cp:revision>1</cp:revision>"
            f"<cp:version>{xml_text(meta.version)}</cp:version><dc:language>{xml_text(meta.language)}</dc:language>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


def relationships(package: Package, links: dict[str, str]) -> str:
    """The document's relationships: the reference's, numbering, our footer and one per hyperlink."""
    extra = [f'<Relationship Id="{NUMBERING_RID}" Type="{REL_NUMBERING}" Target="numbering.xml"/>',
             f'<Relationship Id="{FOOTER_RID}" Type="{REL_FOOTER}" Target="{FOOTER_PART.removeprefix("word/")}"/>']
    for url, rid in links.items():
        extra.append(f'<Relationship Id="{rid}" Type="{REL_HYPERLINK}" Target="{xml_text(url)}" '
                     'TargetMode="External"/>')
    return package.document_rels + "".join(extra) + "</Relationships>"


def signature_table(signers: tuple[str, ...], styles: dict[str, str], text_run: Callable[..., str]) -> str:
    """A borderless table: for each signer, a signature line and a date line with labels beneath."""
    none = "".join(f'<w:{side} w:val="nil"/>' for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    line = '<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr>'

    def cell(width: int, label: str) -> str:
        return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{styles["body"]}"/><w:keepNext/>{line}'
                '<w:spacing w:before="600" w:after="0"/></w:pPr></w:p>'
                f'<w:p><w:pPr><w:pStyle w:val="{styles["body"]}"/><w:keepNext/><w:spacing w:after="120"/></w:pPr>'
                f'{text_run(label)}</w:p></w:tc>')

    gap = (f'<w:tc><w:tcPr><w:tcW w:w="400" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:pStyle '
           f'w:val="{styles["body"]}"/></w:pPr></w:p></w:tc>')
    rows = "".join(f'<w:tr><w:trPr><w:cantSplit/></w:trPr>{cell(5600, f"{signer} signature")}{gap}'
                   f'{cell(2600, "Date")}</w:tr>' for signer in signers)
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="{styles["table"]}"/><w:tblW w:w="8600" w:type="dxa"/>'
            f'<w:tblBorders>{none}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
            'w:noHBand="1" w:noVBand="1"/></w:tblPr>'
            '<w:tblGrid><w:gridCol w:w="5600"/><w:gridCol w:w="400"/><w:gridCol w:w="2600"/></w:tblGrid>'
            + rows + "</w:tbl>")
