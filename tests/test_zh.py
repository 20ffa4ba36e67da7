"""The Chinese course (notebooks/zh/) against the English one (notebooks/).

A Chinese notebook is built by notebooks/build_zh.py from the executed English notebook by
replacing its markdown cells with the translations in notebooks/zh/src/NN_name.md. So:

1. Every English notebook has a Chinese one, with the same cells in the same order; every
   code cell is identical (source, tags, execution count, stored outputs). nbval therefore
   checks the English notebooks only (the Makefile does not collect notebooks/zh/).
2. Every English markdown cell has a *current* translation: one made from its present text.
   When another change edits the English, the old translation is stale and this test names
   the cell; ``python notebooks/build_zh.py --status NN`` shows what changed.
3. The committed Chinese notebook is what the build makes now (no one forgot to rebuild),
   and a translation is Chinese (has CJK characters).
4. The build itself: a stale translation is never shown as if it were current.
5. Bold and italics survive in Chinese: CommonMark does not accept `**` between a Chinese
   letter and a quotation mark, and would show the asterisks.
"""

import glob
import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
ZH_DIR = NOTEBOOKS_DIR / "zh"
ENGLISH = sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb") if re.match(r"\d\d_", p.name))
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def load_build_zh():
    spec = importlib.util.spec_from_file_location("build_zh", NOTEBOOKS_DIR / "build_zh.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_zh"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build_zh = load_build_zh()


def read(path):
    return nbformat.read(path, as_version=4)


def code_view(cell):
    """What must be the same in both languages: everything a code cell holds."""
    return {
        "source": cell.source,
        "metadata": dict(cell.metadata),
        "execution_count": cell.execution_count,
        "outputs": nbformat.writes(nbformat.v4.new_notebook(cells=[cell])),
    }


def ids(paths):
    return [p.stem[:2] for p in paths]


@pytest.mark.parametrize("english", ENGLISH, ids=ids(ENGLISH))
def test_code_cells_and_outputs_are_the_english_ones(english):
    zh_path = ZH_DIR / english.name
    assert zh_path.exists(), (
        f"no Chinese notebook {zh_path.relative_to(ROOT)}; run `python notebooks/build_zh.py`"
    )
    en_nb, zh_nb = read(english), read(zh_path)
    assert [c.cell_type for c in zh_nb.cells] == [c.cell_type for c in en_nb.cells], (
        f"{zh_path.name}: the cells differ from the English notebook's; rebuild it with "
        "`python notebooks/build_zh.py`"
    )
    for number, (en, zh) in enumerate(zip(en_nb.cells, zh_nb.cells)):
        if en.cell_type == "code":
            assert code_view(zh) == code_view(en), (
                f"{zh_path.name} cell {number}: code or stored output differs from the English "
                "notebook; rebuild with `python notebooks/build_zh.py`"
            )


@pytest.mark.parametrize("english", ENGLISH, ids=ids(ENGLISH))
def test_every_markdown_cell_has_a_current_translation(english):
    report = build_zh.report(english)
    missing = [
        f"markdown cell {index}: {text.splitlines()[0][:70]!r}" for index, text, _ in report.missing
    ]
    assert not missing, (
        f"{english.stem}: {len(missing)} of {report.cells} markdown cells have no current Chinese "
        f"translation (new, or the English changed since it was translated):\n  "
        + "\n  ".join(missing)
        + f"\nSee `python notebooks/build_zh.py --status {english.stem[:2]}`, then `--sync`, "
        "translate the blocks marked TODO, and rebuild."
    )


@pytest.mark.parametrize("english", ENGLISH, ids=ids(ENGLISH))
def test_translations_are_chinese_and_the_notebook_is_rebuilt(english):
    for block in build_zh.load(english):
        if not block.todo and block.zh.strip():
            assert CJK.search(block.zh), f"{english.stem}: block {block.hash} has no Chinese text"
    zh_path = ZH_DIR / english.name
    if not zh_path.exists():
        pytest.fail(f"no {zh_path.relative_to(ROOT)}; run `python notebooks/build_zh.py`")
    expected, _ = build_zh.translate(read(english), build_zh.load(english))
    got = read(zh_path)
    for number, (want, have) in enumerate(zip(expected.cells, got.cells)):
        assert have.source == want.source, (
            f"{zh_path.name} cell {number} is not what the translations give now; "
            "rebuild with `python notebooks/build_zh.py`"
        )


def literal_asterisks(markdown_to_html, text):
    """Lines of the rendered text that still show a `*`: emphasis CommonMark did not accept.
    Chinese text needs care here: `中**“引文”**后` is not bold (a `**` between a letter and a
    punctuation mark neither opens nor closes), so it is shown with its asterisks."""
    html = markdown_to_html(text)
    html = re.sub(r"<(code|pre)>.*?</\1>", "", html, flags=re.S)
    return [line for line in html.splitlines() if "*" in line]


@pytest.mark.parametrize("english", ENGLISH, ids=ids(ENGLISH))
def test_translations_render_their_emphasis(english):
    mistune = pytest.importorskip("mistune")  # nbconvert's Markdown renderer (CommonMark rules)
    render = mistune.create_markdown(plugins=["table"])
    broken = []
    for block in build_zh.load(english):
        if block.todo or literal_asterisks(render, block.en):
            continue
        broken += [
            f"block {block.hash}: {line[:100]}" for line in literal_asterisks(render, block.zh)
        ]
    assert not broken, (
        f"{english.stem}: emphasis shown as literal asterisks (put a space between `**` and the "
        "Chinese text next to it, or move the `**` inside the quotation marks):\n  "
        + "\n  ".join(broken)
    )


def test_no_chinese_notebook_without_an_english_one():
    english = {p.name for p in ENGLISH}
    orphans = [p.name for p in ZH_DIR.glob("*.ipynb") if p.name not in english]
    assert not orphans, f"notebooks/zh/ has notebooks with no English original: {orphans}"


# ---- the build's handling of stale translations ----------------------------------------


def small_notebook(*texts):
    nb = nbformat.v4.new_notebook()
    for text in texts:
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
        nb.cells.append(nbformat.v4.new_code_cell("print(1)"))
    return nb


def test_a_stale_translation_is_not_shown_and_sync_keeps_it_for_editing(tmp_path, monkeypatch):
    old = "Greenlets run one at a time."
    blocks = [
        build_zh.Block(build_zh.cell_hash(old), old, "一次只运行一个 greenlet。"),
        build_zh.Block(build_zh.cell_hash("Exercises"), "Exercises", "练习"),
    ]
    text = build_zh.render(blocks)
    assert [(b.hash, b.en, b.zh) for b in build_zh.parse(text)] == [
        (b.hash, b.en, b.zh) for b in blocks
    ]

    nb = small_notebook(old, "Exercises")
    zh, untranslated = build_zh.translate(nb, blocks)
    assert untranslated == []
    assert [c.source for c in zh.cells if c.cell_type == "markdown"] == [
        "一次只运行一个 greenlet。",
        "练习",
    ]

    # The English changes meaning: the old Chinese must not appear as its translation.
    changed = small_notebook("Greenlets run two at a time.", "Exercises")
    zh, untranslated = build_zh.translate(changed, blocks)
    first = zh.cells[0].source
    assert untranslated == [0]
    assert "一次只运行" not in first and "two at a time" in first and "尚未译成中文" in first

    # report/sync on files: the stale cell is listed with its old block; sync marks it TODO.
    monkeypatch.setattr(build_zh, "ZH_SRC", tmp_path)
    english = tmp_path / "01_x.ipynb"
    nbformat.write(changed, english)
    (tmp_path / "01_x.md").write_text(text, encoding="utf-8")
    report = build_zh.report(english)
    assert [(i, old_block.hash) for i, _, old_block in report.missing] == [(0, blocks[0].hash)]
    assert build_zh.sync(english) == 1
    synced = build_zh.parse((tmp_path / "01_x.md").read_text(encoding="utf-8"))
    assert synced[0].todo and synced[0].en == "Greenlets run two at a time."
    assert synced[0].zh == "一次只运行一个 greenlet。"  # kept for the translator to edit
    assert build_zh.report(english).missing[0][0] == 0  # TODO still counts as missing
    assert not synced[1].todo


def test_nbval_does_not_collect_the_chinese_notebooks():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        [make, "-n", "nbval"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = [line for line in result.stdout.splitlines() if "--nbval" in line]
    assert lines, result.stdout
    collected = []
    for line in lines:
        # the pytest command only (not the `ls` or `echo` around it)
        command = line[line.index("-m pytest") :].split("||")[0]
        for word in command.split():
            if word.startswith("notebooks"):
                for hit in glob.glob(str(ROOT / word)):
                    path = pathlib.Path(hit)
                    if path.is_dir():
                        collected += list(path.rglob("*.ipynb"))
                    elif path.suffix == ".ipynb":
                        collected.append(path)
    assert collected, f"nbval checks no notebook: {lines}"
    assert not [p for p in collected if ZH_DIR in p.parents], (
        "nbval would run notebooks/zh/ too; their code is the English notebooks' (test above)"
    )
