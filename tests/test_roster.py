"""Roster reading and validation: every kind of bad row, all reported at once with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from policystack.roster import RosterError, read_roster, validate_roster
from test_batch_support import clinic_rows, make_project, pipeline_for, write, write_roster


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("roster") / "project")
    return pipeline_for(root).catalogue


def problems_of(path: Path, catalogue) -> list[tuple[int | None, str | None, str]]:
    targets, problems = validate_roster(path, catalogue)
    return [(p.line, p.column, p.message) for p in problems]


def test_valid_csv_roster(tmp_path, catalogue):
    path = write_roster(tmp_path / "roster.csv", clinic_rows(6))
    targets = read_roster(path, catalogue)
    assert [t.id for t in targets] == [f"c{i:03d}" for i in range(6)]
    first = targets[0]
    assert first.jurisdictions == ("us-ca",) and first.professions == ("psychologist",)
    assert first.variables == {"telehealth": True}
    assert targets[1].organization == "acme" and targets[0].organization is None
    assert first.origin == "roster.csv:2"


def test_extra_columns_become_variables_and_lists_split(tmp_path, catalogue):
    path = tmp_path / "r.csv"
    path.write_text("id,name,phone,email,jurisdiction,profession,clinic.email_response_days,portal\n"
                    "a1,A,+1 555 010 0001,a@x.org,us;us-ca,psychologist,3,the portal\n"
                    "a2,B,+1 555 010 0002,b@x.org,\"us, us-ny\",counselor,,\n", encoding="utf-8")
    a1, a2 = read_roster(path, catalogue)
    assert a1.variables == {"clinic.email_response_days": 3, "portal": "the portal"}
    assert a1.jurisdictions == ("us", "us-ca") and a2.jurisdictions == ("us", "us-ny")
    assert a2.variables == {}


def test_every_error_kind_reported_at_once(tmp_path, catalogue):
    rows = clinic_rows(3)
    bad = [
        {**rows[0], "id": ""},                                   # line 3: missing id
        {**rows[1], "name": " "},                                # line 4: missing name
        {**rows[2], "jurisdictions": "us-zz"},                   # line 5: unknown jurisdiction
        {**rows[0], "id": "p1", "profession": "astrologer"},     # line 6: unknown profession
        {**rows[0], "id": "o1", "organization": "nobody"},       # line 7: unknown organization
        {**rows[0], "id": "C000"},                               # line 8: duplicate (case-insensitive) of c000
        {**rows[0], "id": "e1", "email": "not-an-email"},        # line 9: invalid email
        {**rows[0], "id": "f1", "phone": "call me"},             # line 10: invalid phone
        {**rows[0], "id": "../x"},                               # line 11: unsafe id
        {**rows[0], "id": "a/b"},                                # line 12
        {**rows[0], "id": "CON"},                                # line 13
        {**rows[0], "id": "x" * 300},                            # line 14
        {**rows[0], "id": "g1", "jurisdictions": ""},            # line 15: missing jurisdictions
    ]
    path = write_roster(tmp_path / "roster.csv", [rows[0]] + bad)
    with pytest.raises(RosterError) as caught:
        read_roster(path, catalogue)
    found = [(p.line, p.column) for p in caught.value.problems]
    assert found == [(3, "id"), (4, "name"), (5, "jurisdictions"), (6, "profession"), (7, "organization"),
                     (8, "id"), (9, "email"), (10, "phone"), (11, "id"), (12, "id"), (13, "id"), (14, "id"),
                     (15, "jurisdictions")]
    text = str(caught.value)
    assert text.startswith("13 problem(s) in the roster; nothing was built")
    assert "roster.csv:5: column 'jurisdictions': unknown jurisdiction 'us-zz'" in text
    assert "duplicate id 'C000' (first used on line 2" in text
    assert "path separator" in text and "reserved device name" in text and "300 characters" in text
    assert "invalid email address 'not-an-email'" in text


def test_header_problems(tmp_path, catalogue):
    path = tmp_path / "r.csv"
    path.write_text("id,name,name,bad column!,jurisdictions\nx1,A,B,1,us\n", encoding="utf-8")
    found = problems_of(path, catalogue)
    assert (1, "name", "duplicate column") in found
    assert any(column == "bad column!" for _, column, _ in found)
    assert any("missing required column(s): profession" in message for _, _, message in found)


def test_multiline_cells_keep_line_numbers(tmp_path, catalogue):
    path = tmp_path / "r.csv"
    path.write_text('id,name,address,jurisdictions,profession,email\n'
                    'a1,A,"line one\nline two",us,psychologist,a@x.org\n'
                    'a2,B,x,us,psychologist,broken@\n', encoding="utf-8")
    assert problems_of(path, catalogue) == [(4, "email", "invalid email address 'broken@'")]


def test_yaml_roster(tmp_path, catalogue):
    path = write(tmp_path / "roster.yaml", """
        clinics:
          - id: y1
            name: Yaml Clinic
            phone: "+44 20 7946 0958"
            email: y1@example.org
            jurisdictions: [uk]
            profession: counsellor
            telehealth: true
            variables: {clinic: {email_response_days: 3}}
          - id: y2
            name: Second
            jurisdictions: [us-zz]
            profession: psychologist
            email: nope
        """)
    targets, problems = validate_roster(path, catalogue)
    assert [t.id for t in targets] == ["y1"]
    assert targets[0].variables == {"clinic.email_response_days": 3, "telehealth": True}
    assert [(p.line, p.column) for p in problems] == [(10, "email"), (10, "jurisdictions")] or \
        sorted((p.line, p.column) for p in problems) == [(10, "email"), (10, "jurisdictions")]


def test_without_catalogue_codes_are_not_checked(tmp_path):
    path = write_roster(tmp_path / "r.csv", [{**clinic_rows(1)[0], "jurisdictions": "xx"}])
    assert read_roster(path)[0].jurisdictions == ("xx",)


def test_non_latin_names_allowed_ids_must_be_portable(tmp_path, catalogue):
    rows = clinic_rows(3)
    rows[0]["name"] = "東京カウンセリング"
    rows[1]["name"] = "عيادة الإرشاد"
    rows[2]["id"] = "クリニック"
    targets, problems = validate_roster(write_roster(tmp_path / "r.csv", rows), catalogue)
    assert [t.name for t in targets] == ["東京カウンセリング", "عيادة الإرشاد"]
    assert [(p.line, p.column) for p in problems] == [(4, "id")]


def test_not_utf8_and_empty(tmp_path, catalogue):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,name\nx,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(RosterError, match="UTF-8"):
        read_roster(bad, catalogue)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(RosterError, match="empty"):
        read_roster(empty, catalogue)


def test_odd_but_valid_values(tmp_path, catalogue):
    path = tmp_path / "odd.csv"
    path.write_bytes("\ufeffID;Name;Phone;E-mail;Jurisdictions;Profession;Clinic Director;Telehealth\n"
                     "  z1 ;\"Smith, Jones & Co\";(510) 555-0142 ext. 12;Info@Café.example;US US-CA;Counselor;"
                     "Dr. Ana Ruiz;Yes\n".encode("utf-8"))
    (target,) = read_roster(path, catalogue)
    assert target.email == "Info@Café.example" and target.phone == "(510) 555-0142 ext. 12"
    assert target.id == "z1" and target.name == "Smith, Jones & Co"
    assert target.jurisdictions == ("us", "us-ca") and target.professions == ("counselor",)
    assert target.variables["clinic_director"] == "Dr. Ana Ruiz" and target.variables["telehealth"] is True
