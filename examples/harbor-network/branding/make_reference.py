"""Build Harbor Health Counseling's branding: logo.png and reference.docx.

reference.docx follows pandoc's reference-doc convention: only its styles, theme, fonts,
page set-up and header (with the logo) are used; its body text is ignored. Re-run after
changing the brand:  python examples/harbor-network/branding/make_reference.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAVY = (0x12, 0x3F, 0x66)
TEAL = (0x2A, 0x9D, 0x8F)
WHITE = (0xFF, 0xFF, 0xFF)


def logo_png(width: int = 360, height: int = 120) -> bytes:
    """A small logo drawn pixel by pixel: a navy disc with two teal waves, on white."""
    rows = []
    cx, cy, radius = height / 2, height / 2, height / 2 - 4
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            colour = WHITE
            if (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2:
                colour = NAVY
                for offset in (0.58, 0.74):
                    wave = cy + radius * (offset - 0.5) * 2 + 5 * math.sin((x - cx) / 9)
                    if abs(y - wave) < 3.2:
                        colour = TEAL
            elif x > height + 10:
                band = (x - height - 10) // 18
                if 0 <= band < 12 and abs(y - (cy + 8 * math.sin(x / 14))) < 4 - (band % 3):
                    colour = TEAL
            row += bytes(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def reference_docx(logo: Path, target: Path) -> None:
    """Styles (fonts, colours, spacing) and a header with the logo and the organization's name."""
    import docx
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    document = docx.Document()
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Noto Sans"
    normal.font.size = Pt(10.5)
    for name, size, colour in (("Title", 24, NAVY), ("Subtitle", 14, TEAL), ("Heading 1", 15, NAVY),
                               ("Heading 2", 12, NAVY)):
        style = styles[name]
        style.font.name = "Noto Sans"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(*colour)
        style.font.bold = name != "Subtitle"
    body = styles["Body Text"]
    body.font.name = "Noto Sans"
    body.paragraph_format.space_after = Pt(6)
    body.paragraph_format.line_spacing = 1.15
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.59), Cm(27.94)
    section.left_margin = section.right_margin = Cm(2.3)
    section.top_margin, section.bottom_margin = Cm(2.6), Cm(2.2)
    paragraph = section.header.paragraphs[0]
    paragraph.add_run().add_picture(str(logo), height=Cm(1.1))
    paragraph.paragraph_format.tab_stops.add_tab_stop(section.page_width - section.left_margin
                                                      - section.right_margin, WD_TAB_ALIGNMENT.RIGHT)
    run = paragraph.add_run("\tHarbor Health Counseling")
    run.font.color.rgb = RGBColor(*NAVY)
    run.font.size = Pt(9)
    document.add_paragraph("Harbor Health Counseling reference document: only its styles and header are used.",
                           style="Body Text")
    document.core_properties.title = "Harbor Health Counseling reference document"
    document.save(str(target))


if __name__ == "__main__":
    logo = HERE / "logo.png"
    logo.write_bytes(logo_png())
    reference_docx(logo, HERE / "reference.docx")
    print(f"wrote {logo} and {HERE / 'reference.docx'}")
