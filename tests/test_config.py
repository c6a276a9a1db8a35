"""Project configuration: finding designexport.toml / [tool.designexport], normalising values, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.cli.config import CONFIG_FILE_NAME, ConfigError, ProjectConfig, find_config, load_config
from exporter.model.diagnostics import Code


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def given_values(config: ProjectConfig) -> dict[str, object]:
    """The settings the file set, by setting name, and nothing else."""
    return {name: getattr(config.given.settings, name) for name in config.given.where}


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- finding the file ------------------------------------------------------------------------------------------------


def test_walks_up_from_a_nested_file_to_designexport_toml_two_folders_up(tmp_path: Path) -> None:
    config = write(tmp_path / "repo" / CONFIG_FILE_NAME, "")
    document = write(tmp_path / "repo" / "docs" / "design" / "payments.md", "# Payments\n")

    assert find_config(document) == config
    assert find_config(document.parent) == config


def test_walk_starts_from_a_relative_path_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "repo" / CONFIG_FILE_NAME, "")
    write(tmp_path / "repo" / "docs" / "a.md", "# A\n")
    monkeypatch.chdir(tmp_path / "repo" / "docs")

    assert find_config(Path("a.md")) == config


def test_designexport_toml_beats_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.designexport]\npaper = "letter"\n')
    own = write(tmp_path / CONFIG_FILE_NAME, 'paper = "a4"\n')

    found = find_config(tmp_path / "doc.md")

    assert found == own
    assert found is not None and given_values(load_config(found)) == {"paper": "a4"}


def test_pyproject_without_the_table_is_skipped_and_the_walk_goes_on(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", '[tool.designexport]\npaper = "letter"\n')
    write(tmp_path / "service" / "pyproject.toml", '[project]\nname = "service"\n\n[tool.ruff]\nline-length = 100\n')

    assert find_config(tmp_path / "service" / "doc.md") == outer


def test_nothing_found_gives_none(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')

    assert find_config(tmp_path / "doc.md") is None


def test_invalid_pyproject_on_the_way_up_is_an_error_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pyproject.toml", '[tool.designexport]\npaper = "letter"\n')
    write(tmp_path / "service" / "pyproject.toml", '[project]\nname = "service\n')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as caught:
        find_config(tmp_path / "service" / "doc.md")

    assert str(caught.value).startswith("service/pyproject.toml:2: error: invalid TOML: ")


# --- normalised values -----------------------------------------------------------------------------------------------


def test_every_key_is_normalised_with_paths_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(project / "brand" / "logo.png", "png")
    write(project / "brand" / "brand.css", ":root { --color-accent: #123456; }\n")
    write(project / "brand" / "reference.docx", "docx")
    config = write(
        project / CONFIG_FILE_NAME,
        """\
formats = ["docx", "html"]
theme = "brand/brand.css"
paper = "letter"
output-dir = "build/../out"
toc = false
toc-depth = 2
number-sections = true
required-sections = ["Context", "Decision"]
strict = true
watermark = false
watermark-statuses = ["draft", "in review"]
organization = "Acme Payments"
logo = "brand/logo.png"
pdf-variant = "pdf/a-3b"
reference-docx = "brand/reference.docx"
exclude = ["drafts/**", "*.tmp.md"]
jobs = 4
timeout = 90
suppress = ["broken-link", "Unknown-Language"]
""",
    )
    monkeypatch.chdir(write(tmp_path / "elsewhere" / "keep", "").parent)

    loaded = load_config(Path("../project") / CONFIG_FILE_NAME)

    assert loaded.path == config
    assert given_values(loaded) == {
        "formats": ("html", "docx"),
        "theme": str(project / "brand" / "brand.css"),
        "paper": "letter",
        "output_dir": project / "out",
        "toc": False,
        "toc_depth": 2,
        "number_sections": True,
        "required_sections": ("Context", "Decision"),
        "strict": True,
        "watermark": False,
        "watermark_statuses": ("draft", "in review"),
        "organization": "Acme Payments",
        "logo": project / "brand" / "logo.png",
        "pdf_variant": "pdf/a-3b",
        "reference_docx": project / "brand" / "reference.docx",
        "exclude": ("drafts/**", "*.tmp.md"),
        "jobs": 4,
        "timeout": 90.0,
        "suppress": frozenset({Code.BROKEN_LINK, Code.UNKNOWN_LANGUAGE}),
    }
    assert isinstance(loaded.given.settings.timeout, float)
    assert loaded.given.where["toc_depth"].line == 6


def test_pyproject_reads_only_its_table_and_only_the_keys_set(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n'
        '[tool.designexport]\ntheme = "modern"\ntoc = true\nwatermark = true\n',
    )

    assert given_values(load_config(config)) == {"theme": "modern", "toc": True, "watermark": True}


def test_an_empty_designexport_toml_sets_nothing(tmp_path: Path) -> None:
    assert given_values(load_config(write(tmp_path / CONFIG_FILE_NAME, "# nothing yet\n"))) == {}


# --- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'paper = "a4"\nfromats = ["pdf"]\n',
            "designexport.toml:2: error: fromats: unknown key; did you mean 'formats'?",
        ),
        (
            'output_dir = "out"\n',
            "designexport.toml:1: error: output_dir: unknown key; did you mean 'output-dir'?",
        ),
        ("strict = 'yes'\n", "designexport.toml:1: error: strict: expected true or false, got 'yes'"),
        ("toc = 1\n", "designexport.toml:1: error: toc: expected true or false, got 1"),
        ('paper = "a5"\n', "designexport.toml:1: error: paper: expected one of 'a4', 'letter', got 'a5'"),
        (
            'pdf-variant = "pdf/a-1"\n',
            "designexport.toml:1: error: pdf-variant: expected one of 'pdf/ua-1', 'pdf/a-3b', got 'pdf/a-1'",
        ),
        (
            'formats = "pdf"\n',
            "designexport.toml:1: error: formats: expected a non-empty list of 'html', 'pdf', 'docx', got 'pdf'",
        ),
        (
            "formats = []\n",
            "designexport.toml:1: error: formats: expected a non-empty list of 'html', 'pdf', 'docx', "
            "got an empty list",
        ),
        (
            'formats = ["pdf", "png"]\n',
            "designexport.toml:1: error: formats: expected a non-empty list of 'html', 'pdf', 'docx', "
            "got 'png' in the list",
        ),
        ('formats = ["pdf", "pdf"]\n', "designexport.toml:1: error: formats: 'pdf' is listed twice"),
        (
            'theme = "fancy"\n',
            "designexport.toml:1: error: theme: expected a built-in theme ('classic', 'modern') "
            "or a path to a .css file, got 'fancy'",
        ),
        ("toc-depth = 7\n", "designexport.toml:1: error: toc-depth: expected a whole number from 1 to 6, got 7"),
        (
            "toc-depth = true\n",
            "designexport.toml:1: error: toc-depth: expected a whole number from 1 to 6, got true",
        ),
        ("jobs = 0\n", "designexport.toml:1: error: jobs: expected a whole number from 1 to 256, got 0"),
        (
            "timeout = -5\n",
            "designexport.toml:1: error: timeout: expected a positive number of seconds, at most 86400, got -5",
        ),
        (
            "timeout = nan\n",
            "designexport.toml:1: error: timeout: expected a positive number of seconds, at most 86400, got nan",
        ),
        (
            'required-sections = ["Context", ""]\n',
            "designexport.toml:1: error: required-sections: expected a list of non-empty section titles, "
            "got '' at position 2",
        ),
        (
            'watermark-statuses = "draft"\n',
            "designexport.toml:1: error: watermark-statuses: expected a list of non-empty status names, got 'draft'",
        ),
        (
            'watermark-statuses = ["draft, in review"]\n',
            "designexport.toml:1: error: watermark-statuses: a status cannot contain a comma, got 'draft, in review'",
        ),
        (
            "exclude = [3]\n",
            "designexport.toml:1: error: exclude: expected a list of non-empty glob patterns, got 3 at position 1",
        ),
        ("organization = 42\n", "designexport.toml:1: error: organization: expected a string, got 42"),
        (
            'reference-docx = "brand/reference.dotx"\n',
            "designexport.toml:1: error: reference-docx: expected a path to a .docx file, got 'brand/reference.dotx'",
        ),
        ("[paper]\nsize = 'a4'\n", "designexport.toml:1: error: paper: expected one of 'a4', 'letter', got a table"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)

    assert config_error(write(tmp_path / CONFIG_FILE_NAME, text)) == expected


@pytest.mark.parametrize(
    ("key", "value", "missing"),
    [
        ("logo", "brand/logo.png", "brand/logo.png"),
        ("theme", "brand/brand.css", "brand/brand.css"),
        ("reference-docx", "brand/reference.docx", "brand/reference.docx"),
    ],
)
def test_a_missing_file_names_the_key_and_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, missing: str
) -> None:
    write(tmp_path / "docs" / "brand" / "unrelated.txt", "")
    config = write(tmp_path / "docs" / CONFIG_FILE_NAME, f'organization = "Acme"\n{key} = "{value}"\n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == f"docs/designexport.toml:2: error: {key}: file not found: docs/{missing}"


def test_a_folder_given_as_the_logo_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "brand").mkdir()
    config = write(tmp_path / CONFIG_FILE_NAME, 'logo = "brand"\n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == "designexport.toml:1: error: logo: not a file: brand"


def test_pyproject_errors_name_the_table_and_the_line_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        '[tool.ruff]\nline-length = 120\n\n[tool.designexport]\npaper = "a4"\nline-length = 100\n',
    )
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == (
        "pyproject.toml:6: error: [tool.designexport] line-length: unknown key; known keys: formats, theme, paper, "
        "output-dir, toc, toc-depth, number-sections, smart, diagrams, required-sections, strict, watermark, "
        "watermark-statuses, organization, metadata, logo, pdf-variant, reference-docx, exclude, jobs, timeout, "
        "asset-root, allow-remote, limits, suppress, prune"
    )


def test_pyproject_value_error_names_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.designexport]\n\ntoc = "no"\n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == (
        "pyproject.toml:6: error: [tool.designexport] toc: expected true or false, got 'no'"
    )


def test_tool_designexport_that_is_not_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "pyproject.toml", '[tool]\ndesignexport = "pdf"\n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == "pyproject.toml:2: error: [tool.designexport] must be a table, got 'pdf'"


def test_invalid_toml_gives_the_line_from_the_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / CONFIG_FILE_NAME, 'paper = "a4"\n\ntoc-depth = \n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == "designexport.toml:3: error: invalid TOML: Invalid value (column 13)"


def test_a_config_outside_the_working_folder_is_shown_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "project" / CONFIG_FILE_NAME, "jobs = 0\n")
    monkeypatch.chdir(write(tmp_path / "elsewhere" / "keep", "").parent)

    assert config_error(config) == f"{config}:1: error: jobs: expected a whole number from 1 to 256, got 0"


def test_a_missing_config_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert config_error(tmp_path / CONFIG_FILE_NAME) == "designexport.toml: error: no such file"


def test_a_pyproject_without_the_table_cannot_be_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)

    assert config_error(config) == "pyproject.toml: error: no [tool.designexport] table"
