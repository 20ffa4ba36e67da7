"""The course as a whole: the HTML export, and the checklist rules a machine can check.

COURSE.md asks every notebook for things a teacher would check by eye. The ones a machine can
check are checked here, on every notebook that exists in notebooks/ (the course grows one
notebook at a time):

1. The first cell is markdown, names the source section with a Chinese heading (any CJK
   character) and says what the student will be able to do ("after this notebook you can ...").
2. There is an "Exercises" (or "练习") heading.
3. No code cell stored an error, except cells tagged ``raises-exception`` (the Jupyter tag
   that Run All, nbconvert and nbval all honour) or marked ``# NBVAL_RAISES_EXCEPTION``.
4. Every code cell was executed (it has an execution count): notebooks are committed executed.
5. "Paste into a fresh file": a cell that uses ``coopconc.`` imports coopconc itself; one that
   uses ``plt.`` imports matplotlib.pyplot as plt; one that uses ``np.`` imports numpy as np.
6. Every notebook has an "Errata" or a "How coopconc does it" section; every notebook except
   00, 01 and 02 has "How coopconc does it" (00 is the map; the primitives of 01 and 02 are
   plain Python -- processes, threads, generators -- not coopconc modules).
7. Each notebook is built from a source in notebooks/src/ with the same name.
8. nbval markers are written so that nbval sees them: a comment line holding the marker alone
   (``# NBVAL_IGNORE_OUTPUT``; the reason goes on the next line). nbval ignores
   ``# NBVAL_IGNORE_OUTPUT -- because ...``, and the cell is then compared after all.
"""

import importlib.util
import io
import pathlib
import re
import tokenize

import nbformat
import pytest

NOTEBOOKS_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb") if re.match(r"\d\d_", p.name))
NOT_COOPCONC_PRIMITIVES = {"00", "01", "02"}  # rule 6: "How coopconc does it" not required

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CAN_DO = re.compile(r"after this notebook|you can|you will|be able to|学完|你将|你可以", re.I)


def load_html_module():
    spec = importlib.util.spec_from_file_location("course_html", NOTEBOOKS_DIR / "export_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path):
    return nbformat.read(path, as_version=4)


def headings(nb):
    """Every markdown heading line of the notebook, lower-cased."""
    return [
        line.lstrip("#").strip().lower()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]


def code_words(source):
    """The source's code without comments and strings: (NAME, '.') pairs become 'name.'."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # (e.g. an IPython magic): fall back to the lines that are not comments
        return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    words = []
    for tok, nxt in zip(tokens, tokens[1:]):
        if tok.type == tokenize.NAME:
            words.append(tok.string + ("." if nxt.string == "." else ""))
    return " ".join(words)


NBVAL_MARKERS = {
    "NBVAL_IGNORE_OUTPUT",
    "NBVAL_RAISES_EXCEPTION",
    "NBVAL_SKIP",
    "NBVAL_CHECK_OUTPUT",
    "PYTEST_VALIDATE_IGNORE_OUTPUT",
}


def markers(source):
    """The nbval markers of a cell, found the way nbval finds them."""
    found = set()
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() in NBVAL_MARKERS:
            found.add(line.lstrip("#").strip())
    return found


def ids(paths):
    return [p.stem for p in paths]


# ---------------------------------------------------------------------------------------------
# The HTML export


def test_export_writes_every_notebook_and_an_index_in_course_order(tmp_path):
    if not NOTEBOOKS:
        pytest.skip("no notebook in notebooks/ yet")
    course_html = load_html_module()
    pages = course_html.export(tmp_path)
    assert [page for page, _title in pages] == [p.stem + ".html" for p in NOTEBOOKS]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == [p.stem + ".html" for p in NOTEBOOKS]
    for path, (page, title) in zip(NOTEBOOKS, pages):
        text = (tmp_path / page).read_text(encoding="utf-8")
        assert title and title == course_html.title_of(read(path))
        assert title.split()[0] in text  # the title (its first word at least) is on the page
        assert re.search(r'href="\d\d_[\w-]+\.ipynb"', text) is None  # links point at pages


def test_title_is_the_first_heading_of_the_first_markdown_cell():
    course_html = load_html_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("intro\n# 07 · Timeouts — 超时\nmore"),
        nbformat.v4.new_markdown_cell("# not this one"),
    ]
    assert course_html.title_of(nb) == "07 · Timeouts — 超时"


# ---------------------------------------------------------------------------------------------
# The checklist, notebook by notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_first_cell_names_the_source_section_and_what_the_student_can_do(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown", "the first cell must be markdown"
    assert first.source.lstrip().startswith("#"), "the first cell starts with a heading"
    assert CJK.search(first.source), "the first cell names the source section in Chinese"
    assert CAN_DO.search(first.source), (
        "the first cell says what the student can do afterwards ('After this notebook you can')"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_there_is_an_exercises_section(path):
    assert any("exercise" in h or "练习" in h for h in headings(read(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_errors_are_stored_only_in_cells_meant_to_raise(path):
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "code" or "NBVAL_RAISES_EXCEPTION" in markers(cell.source):
            continue
        if "raises-exception" in cell.metadata.get("tags", []):
            continue
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        assert not errors, f"cell {i} stored {errors[0]['ename']}: {errors[0]['evalue']}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_code_cell_was_executed(path):
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"cell {i} was never run:\n{cell.source}"


IMPORTS_NEEDED = [
    ("coopconc.", re.compile(r"^\s*(import coopconc\b|from coopconc\b)", re.M), "import coopconc"),
    (
        "plt.",
        re.compile(r"^\s*import matplotlib\.pyplot as plt\b", re.M),
        "import matplotlib.pyplot as plt",
    ),
    ("np.", re.compile(r"^\s*import numpy as np\b", re.M), "import numpy as np"),
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_cells_import_what_they_use(path):
    """The 'paste into a fresh file' rule, as far as imports of the usual names go."""
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        words = code_words(cell.source).split()
        for used, imported, line in IMPORTS_NEEDED:
            if used in words:
                assert imported.search(cell.source), (
                    f"cell {i} uses {used}.. but has no `{line}` line of its own:\n{cell.source}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_errata_or_how_coopconc_does_it(path):
    found = headings(read(path))
    how = any("how coopconc does it" in h for h in found)
    errata = any("errata" in h or "勘误" in h for h in found)
    assert how or errata, "no 'Errata' or 'How coopconc does it' heading"
    if path.name[:2] not in NOT_COOPCONC_PRIMITIVES:
        assert how, "no 'How coopconc does it' heading (required except in 00, 01, 02)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_built_from_a_source(path):
    assert (NOTEBOOKS_DIR / "src" / (path.stem + ".py")).exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_nbval_markers_are_seen_by_nbval(path):
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if "NBVAL_" in line and line.strip().startswith("#"):
                assert markers(line), (
                    f"cell {i}: nbval does not see the marker in {line.strip()!r}; write the "
                    "marker alone on its line (the reason on the next line)"
                )


def test_markers_are_found_like_nbval_finds_them():
    assert markers("# NBVAL_IGNORE_OUTPUT\n# because\nx = 1") == {"NBVAL_IGNORE_OUTPUT"}
    assert markers("# NBVAL_IGNORE_OUTPUT -- because\nx = 1") == set()


def test_code_words_ignore_comments_and_strings():
    source = "# coopconc.sleep is not used\nprint('coopconc.spawn')\nx = plt.figure()\n"
    words = code_words(source).split()
    assert "coopconc." not in words
    assert "plt." in words
