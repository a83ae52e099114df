"""Reading the people directory from CSV or YAML, and every refusal naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from improveflow.exceptions import InputFileError
from improveflow.importers.people_file import read_people_file
from improveflow.services.people import PersonInput

HEADER = "name,email,aliases,bodies,roles\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path, line: int | None) -> InputFileError:
    """The error reading `path` raises, checked to name the file and the line."""
    with pytest.raises(InputFileError) as caught:
        read_people_file(path)
    error = caught.value
    assert error.file == str(path)
    assert error.line == line
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(error) == f"{where}: {error.problem}"
    return error


# CSV ---------------------------------------------------------------------------------------------


def test_csv_reads_every_column(tmp_path: Path) -> None:
    """Each CSV row becomes a person, with ';'-separated cells split and trimmed."""
    path = write(
        tmp_path,
        "people.csv",
        HEADER
        + "Dana Reeve,dana@council.example,Head of Finance; Director of Finance,CMT,\n"
        + "Owen Marsh,owen@council.example,,,owner;admin\n"
        + "Cllr Ruth Holt,ruth@council.example,Ruth,Cabinet;CMT,owner\n",
    )
    assert read_people_file(path) == [
        PersonInput(
            "Dana Reeve",
            "dana@council.example",
            ("Head of Finance", "Director of Finance"),
            ("CMT",),
            (),
            f"{path}:2",
        ),
        PersonInput("Owen Marsh", "owen@council.example", (), (), ("owner", "admin"), f"{path}:3"),
        PersonInput(
            "Cllr Ruth Holt",
            "ruth@council.example",
            ("Ruth",),
            ("Cabinet", "CMT"),
            ("owner",),
            f"{path}:4",
        ),
    ]


def test_csv_drops_empty_parts_of_a_cell(tmp_path: Path) -> None:
    """Stray separators and spaces in a multi-value cell leave no empty values."""
    path = write(tmp_path, "people.csv", HEADER + "A,a@council.example, ;HRMT;; Payroll ;,,\n")
    assert read_people_file(path)[0].aliases == ("HRMT", "Payroll")


def test_csv_trims_name_and_email(tmp_path: Path) -> None:
    """Spaces around the name and email are removed."""
    path = write(tmp_path, "people.csv", "name,email\n  Priya Shah , priya@council.example \n")
    person = read_people_file(path)[0]
    assert (person.name, person.email) == ("Priya Shah", "priya@council.example")


def test_csv_quoted_cell_may_hold_a_comma(tmp_path: Path) -> None:
    """A quoted cell keeps its commas as part of the value."""
    path = write(
        tmp_path, "people.csv", HEADER + '"Reeve, Dana",dana@council.example,"Head, Finance",,\n'
    )
    person = read_people_file(path)[0]
    assert person.name == "Reeve, Dana"
    assert person.aliases == ("Head, Finance",)


def test_csv_tolerates_a_byte_order_mark(tmp_path: Path) -> None:
    """A UTF-8 byte order mark (as Excel writes) does not spoil the first column name."""
    path = tmp_path / "people.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "Dana,dana@council.example,,CMT,\n").encode())
    assert read_people_file(path) == [
        PersonInput("Dana", "dana@council.example", (), ("CMT",), (), f"{path}:2")
    ]


def test_csv_header_is_case_and_space_insensitive(tmp_path: Path) -> None:
    """Column names are matched ignoring case and surrounding spaces."""
    path = write(tmp_path, "people.csv", " Name , EMAIL ,Roles\nDana,dana@council.example,admin\n")
    person = read_people_file(path)[0]
    assert (person.name, person.email, person.roles) == ("Dana", "dana@council.example", ("admin",))


def test_csv_columns_in_any_order_and_only_required(tmp_path: Path) -> None:
    """Only name and email are needed, in any order; missing list columns read as empty."""
    path = write(tmp_path, "people.csv", "email,name\ndana@council.example,Dana\n")
    assert read_people_file(path) == [
        PersonInput("Dana", "dana@council.example", (), (), (), f"{path}:2")
    ]


def test_csv_short_row_reads_missing_cells_as_empty(tmp_path: Path) -> None:
    """A row that stops after the email has no aliases, bodies or roles."""
    path = write(tmp_path, "people.csv", HEADER + "Dana,dana@council.example\n")
    person = read_people_file(path)[0]
    assert (person.aliases, person.bodies, person.roles) == ((), (), ())


def test_csv_skips_blank_lines_and_keeps_true_line_numbers(tmp_path: Path) -> None:
    """Blank and all-empty rows are skipped; each person's line is still its line in the file."""
    path = write(
        tmp_path,
        "people.csv",
        HEADER
        + "\nDana,dana@council.example,,,\n,,,,\n  ,  ,,,\n\nOwen,owen@council.example,,,\n\n",
    )
    assert [(p.name, p.where) for p in read_people_file(path)] == [
        ("Dana", f"{path}:3"),
        ("Owen", f"{path}:7"),
    ]


def test_csv_with_only_a_header_is_empty(tmp_path: Path) -> None:
    """A header with no rows gives no people, not an error."""
    assert read_people_file(write(tmp_path, "people.csv", HEADER)) == []


def test_csv_windows_line_endings(tmp_path: Path) -> None:
    """CRLF line endings read the same as LF."""
    path = tmp_path / "people.csv"
    path.write_bytes(b"name,email\r\nDana,dana@council.example\r\nOwen,owen@council.example\r\n")
    assert [(p.email, p.where) for p in read_people_file(path)] == [
        ("dana@council.example", f"{path}:2"),
        ("owen@council.example", f"{path}:3"),
    ]


def test_upper_case_extension_is_accepted(tmp_path: Path) -> None:
    """The file type is read from the extension whatever its case."""
    path = write(tmp_path, "PEOPLE.CSV", "name,email\nDana,dana@council.example\n")
    assert [p.email for p in read_people_file(path)] == ["dana@council.example"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("name,aliases,bodies\nDana,Head,CMT\n", id="no-email"),
        pytest.param("email,roles\ndana@council.example,admin\n", id="no-name"),
        pytest.param("full name,e-mail\nDana,dana@council.example\n", id="neither"),
        pytest.param("", id="empty-file"),
    ],
)
def test_csv_header_missing_a_required_column(tmp_path: Path, text: str) -> None:
    """A header without name and email is refused on line 1, listing the columns."""
    error = refusal(write(tmp_path, "people.csv", text), 1)
    assert error.problem.startswith("the header lacks ")
    assert "name" in error.problem
    assert "email" in error.problem


def test_csv_unknown_column(tmp_path: Path) -> None:
    """A column the importer does not know is refused on line 1, naming it."""
    path = write(tmp_path, "people.csv", "name,email,phone\nDana,dana@council.example,0123\n")
    assert refusal(path, 1).problem == "unknown column(s): phone"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        pytest.param("Cara,,,,", "the email is empty", id="empty-email"),
        pytest.param("Cara,   ,,,", "the email is empty", id="blank-email"),
        pytest.param(",cara@council.example,,,", "the name is empty", id="empty-name"),
        pytest.param("Cara", "the email is empty", id="row-ends-early"),
    ],
)
def test_csv_empty_required_cell_names_its_line(tmp_path: Path, row: str, problem: str) -> None:
    """A row with an empty name or email is refused naming its own line (4 here)."""
    path = write(
        tmp_path,
        "people.csv",
        HEADER + "Dana,dana@council.example,,,\n\n" + row + "\nOwen,owen@council.example,,,\n",
    )
    assert refusal(path, 4).problem == problem


def test_csv_row_with_too_many_cells(tmp_path: Path) -> None:
    """A row with more cells than the header is refused naming its line."""
    path = write(
        tmp_path,
        "people.csv",
        "name,email\nDana,dana@council.example\nOwen,owen@council.example,owner\n",
    )
    assert refusal(path, 3).problem == "more cells than the header has columns"


# YAML --------------------------------------------------------------------------------------------

YAML_LIST = """\
# The people directory
- name: Dana Reeve
  email: dana@council.example
  aliases: [Head of Finance, Director of Finance]
  bodies: CMT
- name: Owen Marsh
  email: owen@council.example
  roles: owner; admin

- {name: Pia Lund, email: pia@peers.example, roles: [peer_challenge_lead]}
"""


def expected_from_yaml_list(path: Path) -> list[PersonInput]:
    return [
        PersonInput(
            "Dana Reeve",
            "dana@council.example",
            ("Head of Finance", "Director of Finance"),
            ("CMT",),
            (),
            f"{path}:2",
        ),
        PersonInput("Owen Marsh", "owen@council.example", (), (), ("owner", "admin"), f"{path}:6"),
        PersonInput(
            "Pia Lund", "pia@peers.example", (), (), ("peer_challenge_lead",), f"{path}:10"
        ),
    ]


@pytest.mark.parametrize("name", ["people.yaml", "people.yml"])
def test_yaml_list_of_people(tmp_path: Path, name: str) -> None:
    """A YAML list gives one person per entry, lists written as lists or ';' text."""
    path = write(tmp_path, name, YAML_LIST)
    assert read_people_file(path) == expected_from_yaml_list(path)


def test_yaml_mapping_with_people_list(tmp_path: Path) -> None:
    """A mapping whose 'people' key holds the list reads the same, with the entries' own lines."""
    path = write(
        tmp_path,
        "people.yaml",
        "# The people directory\n"
        "people:\n"
        "  - name: Dana Reeve\n"
        "    email: dana@council.example\n"
        "    bodies: [CMT]\n"
        "\n"
        "  - name: Owen Marsh\n"
        "    email: owen@council.example\n"
        "    aliases: Head of Business Transformation\n",
    )
    assert read_people_file(path) == [
        PersonInput("Dana Reeve", "dana@council.example", (), ("CMT",), (), f"{path}:3"),
        PersonInput(
            "Owen Marsh",
            "owen@council.example",
            ("Head of Business Transformation",),
            (),
            (),
            f"{path}:7",
        ),
    ]


def test_yaml_empty_and_missing_lists(tmp_path: Path) -> None:
    """Absent, null and empty list values give empty tuples; blank list items are dropped."""
    path = write(
        tmp_path,
        "people.yaml",
        "- name: Dana\n  email: dana@council.example\n  aliases: []\n  bodies:\n"
        "  roles: [' admin ', '  ']\n",
    )
    person = read_people_file(path)[0]
    assert (person.aliases, person.bodies, person.roles) == ((), (), ("admin",))


def test_yaml_empty_people_list(tmp_path: Path) -> None:
    """An empty 'people:' list gives no people."""
    assert read_people_file(write(tmp_path, "people.yaml", "people: []\n")) == []


def test_yaml_entry_that_is_not_a_mapping(tmp_path: Path) -> None:
    """An entry that is not a mapping is refused naming its own line."""
    path = write(
        tmp_path,
        "people.yaml",
        "- name: Dana\n  email: dana@council.example\n- Owen Marsh, owen@council.example\n",
    )
    assert refusal(path, 3).problem == "each person must be a mapping of name, email, ..."


def test_yaml_unknown_key(tmp_path: Path) -> None:
    """A key the importer does not know is refused on the entry's line, naming the key."""
    path = write(
        tmp_path,
        "people.yaml",
        "- name: Dana\n  email: dana@council.example\n"
        "- name: Owen\n  email: owen@council.example\n  phone: '0123'\n",
    )
    assert refusal(path, 3).problem == "unknown key(s): phone"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        pytest.param("name: Dana", "the email is missing or empty", id="no-email"),
        pytest.param("name: Dana\n  email: '  '", "the email is missing or empty", id="blank"),
        pytest.param("email: dana@council.example", "the name is missing or empty", id="no-name"),
        pytest.param("name: 42\n  email: a@b.example", "the name is missing or empty", id="number"),
        pytest.param(
            "name: Dana\n  email: a@b.example\n  bodies: [1, 2]",
            "bodies must be a list of text",
            id="list-of-numbers",
        ),
        pytest.param(
            "name: Dana\n  email: a@b.example\n  roles: {admin: true}",
            "roles must be a list of text",
            id="roles-mapping",
        ),
    ],
)
def test_yaml_bad_entry_names_its_line(tmp_path: Path, entry: str, problem: str) -> None:
    """A second entry with a missing or ill-typed value is refused naming line 3."""
    path = write(tmp_path, "people.yaml", f"- name: Owen\n  email: o@b.example\n- {entry}\n")
    assert refusal(path, 3).problem == problem


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("Dana Reeve\n", id="text"),
        pytest.param("staff:\n  - name: Dana\n", id="mapping-without-people"),
        pytest.param("people:\n", id="people-null"),
    ],
)
def test_yaml_that_is_not_a_list(tmp_path: Path, text: str) -> None:
    """A YAML file that holds no list of people is refused on line 1."""
    path = write(tmp_path, "people.yaml", text)
    assert refusal(path, 1).problem == "expected a list of people (or a 'people:' list)"


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    """Invalid YAML is refused naming the line the parser stopped at."""
    path = write(
        tmp_path,
        "people.yaml",
        "- name: Dana\n  email: dana@council.example\n- name: Owen\n  email: owen: marsh\n",
    )
    error = refusal(path, 4)
    assert error.problem.startswith("not valid YAML: mapping values are not allowed here")


# Files that cannot be read -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["people.txt", "people.xlsx", "people"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    """A file that is neither CSV nor YAML is refused naming the file."""
    path = write(tmp_path, name, "name,email\nDana,dana@council.example\n")
    assert refusal(path, None).problem == "expected a .csv, .yaml or .yml file"


@pytest.mark.parametrize("name", ["people.csv", "people.yaml"])
def test_missing_file(tmp_path: Path, name: str) -> None:
    """A file that does not exist is refused naming it."""
    assert refusal(tmp_path / name, None).problem == "no such file"


@pytest.mark.parametrize("name", ["people.csv", "people.yaml"])
def test_file_that_is_not_utf8(tmp_path: Path, name: str) -> None:
    """A file saved in a legacy encoding is refused naming the file, not crashing."""
    path = tmp_path / name
    path.write_bytes("name,email\nJosé Núñez,jose@council.example\n".encode("cp1252"))
    assert refusal(path, None).problem.startswith("not UTF-8 text (")
