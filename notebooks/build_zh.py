"""Build the Chinese course, ``notebooks/zh/``, from the English notebooks: ``python notebooks/build_zh.py``.

A Chinese notebook is the executed English notebook with its markdown cells replaced by their
translations. Nothing is executed: the code cells and their stored outputs are the English
ones, byte for byte (tests/test_zh.py checks it), so the Chinese course never needs a kernel
run of its own and cannot drift from the English one in code.

The translations live in ``notebooks/zh/src/NN_name.md``, one block per English markdown cell,
in the English order::

    <!-- en 1a2b3c4d5e -->
    The English text the translation was made from (kept so that `git diff` shows what changed).
    <!-- zh -->
    中文译文。

``1a2b3c4d5e`` is the start of the SHA-1 of the English cell's text. A block is the *current*
translation of an English cell when its hash and its stored English text are that cell's. When
the English text changes (another branch edits a notebook), its old translation is *stale*: the
build still succeeds, but puts the English text in the Chinese notebook under a visible
"not yet translated" note (never the old Chinese, which may say what the English no longer
says), and tests/test_zh.py fails naming the cell. To bring the translations up to date::

    python notebooks/build_zh.py --status      # per notebook: every missing/stale cell, the new
                                               # English, a diff against the English that was
                                               # translated, and the old Chinese
    python notebooks/build_zh.py --sync        # rewrite the .md files in the current English order:
                                               # a stale block gets the new English and hash, keeps
                                               # its old Chinese, and is marked TODO
    # edit the Chinese of every block marked TODO (`git diff notebooks/zh/src` shows what changed
    # in the English), delete the word TODO from its header, then:
    python notebooks/build_zh.py               # build every notebooks/zh/NN_name.ipynb

A header ``<!-- en 1a2b3c4d5e TODO -->`` is a block waiting for its Chinese to be checked: it
counts as missing. ``python notebooks/build_zh.py 04 07`` builds only some notebooks.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import pathlib
import re
import sys
from dataclasses import dataclass

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
ZH = HERE / "zh"
ZH_SRC = ZH / "src"

HEADER = re.compile(r"^<!-- en ([0-9a-f]{10})( TODO)? -->$")
ZH_MARK = "<!-- zh -->"
UNTRANSLATED = (
    "> **（本段尚未译成中文，以下为英文原文 / not yet translated, the English text follows）**\n\n"
)


def cell_hash(text: str) -> str:
    """The id of an English markdown cell: the start of the SHA-1 of its text."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:10]


@dataclass
class Block:
    """One translation: the English it was made from, and the Chinese."""

    hash: str
    en: str
    zh: str
    todo: bool = False

    def translates(self, en_text: str) -> bool:
        return (
            not self.todo
            and bool(self.zh.strip())
            and self.hash == cell_hash(en_text)
            and self.en.strip() == en_text.strip()
        )


def english_notebooks(prefixes=()) -> list[pathlib.Path]:
    notebooks = sorted(p for p in HERE.glob("*.ipynb") if re.match(r"\d\d_", p.name))
    if prefixes:
        notebooks = [p for p in notebooks if any(p.stem.startswith(x) for x in prefixes)]
    return notebooks


def orphans() -> list[pathlib.Path]:
    """Chinese notebooks whose English notebook no longer exists."""
    names = {p.name for p in english_notebooks()}
    return sorted(
        p for p in ZH.glob("*.ipynb") if re.match(r"\d\d_", p.name) and p.name not in names
    )


def source_of(english: pathlib.Path) -> pathlib.Path:
    return ZH_SRC / (english.stem + ".md")


def parse(text: str, where: str = "<text>") -> list[Block]:
    """Read a translation file into blocks (see the module docstring for the format)."""
    blocks: list[Block] = []
    current = None  # [hash, todo, en_lines, zh_lines, in_zh]
    for number, line in enumerate(text.splitlines(), 1):
        found = HEADER.match(line)
        if found:
            if current:
                blocks.append(_block(current, where))
            current = [found.group(1), bool(found.group(2)), [], [], False]
        elif line == ZH_MARK and current and not current[4]:
            current[4] = True
        elif current is None:
            if line.strip():
                raise ValueError(f"{where}:{number}: text before the first <!-- en ... --> header")
        else:
            (current[3] if current[4] else current[2]).append(line)
    if current:
        blocks.append(_block(current, where))
    return blocks


def _block(current, where) -> Block:
    hash_, todo, en, zh, saw_zh = current
    if not saw_zh:
        raise ValueError(f"{where}: block {hash_} has no {ZH_MARK} line")
    return Block(hash_, "\n".join(en).strip("\n"), "\n".join(zh).strip("\n"), todo)


def render(blocks: list[Block]) -> str:
    parts = []
    for b in blocks:
        todo = " TODO" if b.todo else ""
        parts.append(f"<!-- en {b.hash}{todo} -->\n{b.en}\n{ZH_MARK}\n{b.zh}\n")
    return "\n".join(parts)


def load(english: pathlib.Path) -> list[Block]:
    path = source_of(english)
    if not path.exists():
        return []
    return parse(path.read_text(encoding="utf-8"), str(path))


def markdown_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@dataclass
class Report:
    """How far the translation of one notebook is: missing cells and unused blocks."""

    notebook: str
    cells: int
    missing: list  # [(markdown index, English text, best old Block or None)]
    unused: list  # blocks that translate no current English cell


def report(english: pathlib.Path) -> Report:
    nb = nbformat.read(english, as_version=4)
    blocks = load(english)
    current = {b.hash: b for b in blocks if not b.todo}
    texts = markdown_cells(nb)
    used, missing = set(), []
    for text in texts:
        b = current.get(cell_hash(text))
        if b is not None and b.translates(text):
            used.add(id(b))
    unused = [b for b in blocks if id(b) not in used]
    for index, text in enumerate(texts):
        b = current.get(cell_hash(text))
        if b is None or not b.translates(text):
            missing.append((index, text, _closest(text, unused)))
    return Report(english.stem, len(texts), missing, unused)


def _closest(text: str, candidates: list[Block]):
    best, best_ratio = None, 0.4
    for b in candidates:
        ratio = difflib.SequenceMatcher(None, b.en, text, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = b, ratio
    return best


def translate(nb, blocks: list[Block]):
    """The Chinese notebook: a copy of ``nb`` with every markdown cell that has a current
    translation replaced by it, and every other one kept in English under a visible note.
    Return it and the indexes (among the markdown cells) of the cells left in English."""
    current = {b.hash: b for b in blocks if not b.todo}
    zh = copy.deepcopy(nb)
    untranslated = []
    for index, cell in enumerate(c for c in zh.cells if c.cell_type == "markdown"):
        b = current.get(cell_hash(cell.source))
        if b is not None and b.translates(cell.source):
            cell.source = b.zh
        else:
            cell.source = UNTRANSLATED + cell.source
            untranslated.append(index)
    zh.metadata["language"] = "zh-CN"
    return zh, untranslated


def build(english: pathlib.Path) -> tuple[pathlib.Path, int]:
    """Write notebooks/zh/<name>.ipynb; return it and how many cells are still in English."""
    zh, untranslated = translate(nbformat.read(english, as_version=4), load(english))
    ZH.mkdir(exist_ok=True)
    target = ZH / english.name
    nbformat.write(zh, target)
    return target, len(untranslated)


def sync(english: pathlib.Path) -> int:
    """Rewrite the .md file in the current English order; return how many blocks are TODO."""
    nb = nbformat.read(english, as_version=4)
    rep = report(english)
    blocks = {b.hash: b for b in load(english) if not b.todo}
    stale = {index: old for index, _text, old in rep.missing}
    out, todo = [], 0
    for index, text in enumerate(markdown_cells(nb)):
        h = cell_hash(text)
        if index not in stale:
            out.append(blocks[h])
            continue
        old = stale[index]
        out.append(Block(h, text.strip("\n"), old.zh if old else "", todo=True))
        todo += 1
    path = source_of(english)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(out), encoding="utf-8")
    return todo


def print_status(rep: Report) -> None:
    done = rep.cells - len(rep.missing)
    print(f"== {rep.notebook}: {done}/{rep.cells} markdown cells translated")
    for index, text, old in rep.missing:
        print(
            f"\n--- markdown cell {index} (en {cell_hash(text)}) needs a translation; English now:"
        )
        print(text)
        if old is not None:
            print(f"--- what changed since the translation of block {old.hash}:")
            diff = difflib.unified_diff(
                old.en.splitlines(), text.splitlines(), "translated", "now", lineterm="", n=1
            )
            print(
                "\n".join(list(diff)[2:]) or "(the English is the same; the block is marked TODO)"
            )
            print("--- its old Chinese:")
            print(old.zh or "(empty)")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks starting with these")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="list missing/stale translations")
    what.add_argument("--sync", action="store_true", help="re-order the .md files; mark stale TODO")
    args = parser.parse_args(argv)
    notebooks = english_notebooks(args.prefixes)
    if not notebooks:
        parser.error(f"no English notebook in {HERE} starts with {args.prefixes}")
    if args.status:
        reports = [report(p) for p in notebooks]
        for rep in reports:
            print_status(rep)
        print("summary:")
        for rep in reports:
            left = len(rep.missing)
            print(f"  {rep.notebook}: " + (f"{left} to translate" if left else "complete"))
        names = {p.stem for p in english_notebooks()}
        for md in sorted(ZH_SRC.glob("*.md")):
            if md.stem not in names:
                print(
                    f"  {md.name}: no English notebook {md.stem}.ipynb here (not merged yet, or renamed)"
                )
        return 1 if any(r.missing for r in reports) else 0
    if args.sync:
        for english in notebooks:
            todo = sync(english)
            print(f"{source_of(english).relative_to(HERE.parent)}: {todo} block(s) marked TODO")
        return 0
    for english in notebooks:
        target, untranslated = build(english)
        note = f" ({untranslated} cell(s) still in English)" if untranslated else ""
        print(f"built {target.relative_to(HERE.parent)}{note}")
    if not args.prefixes:
        for gone in orphans():
            gone.unlink()
            print(f"removed {gone.relative_to(HERE.parent)}: its English notebook is gone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
