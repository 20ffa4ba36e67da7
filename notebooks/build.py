"""Build the course notebooks from their sources and run them: ``python notebooks/build.py``.

Each notebook is written as a plain Python file in ``notebooks/src/`` (easy to read and to
review), cut into cells by ``# %%`` lines; ``# %% [markdown]`` starts a text cell whose lines
are written as ``# text``; ``# %% tags=["raises-exception"]`` gives a cell tags (Jupyter's
Run All and nbval go past a cell tagged ``raises-exception``). This script turns ``src/NN_name.py`` into ``NN_name.ipynb``, runs
it with the project's own kernel (outputs stored, as nbval expects), and fails loudly if any
cell stores an error that was not marked ``# NBVAL_RAISES_EXCEPTION``.

    python notebooks/build.py                 # every notebook
    python notebooks/build.py 04 07           # the notebooks whose names start with 04 and 07
    python notebooks/build.py --no-run 04     # only convert, do not execute
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"


def parse(source: str) -> list:
    """Split a percent-format script into notebook cells."""
    cells = []
    kind, lines, tags = None, [], []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(
                line[2:] if line.startswith("# ") else line.lstrip("#") for line in text.splitlines()
            )
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text.strip():
            cell = nbformat.v4.new_code_cell(text)
            if tags:
                cell.metadata["tags"] = list(tags)
            cells.append(cell)

    for line in source.splitlines():
        if line.startswith("# %%"):
            if kind is not None:
                flush()
            kind = "markdown" if "[markdown]" in line else "code"
            found = re.search(r"tags=(\[[^\]]*\])", line)
            tags = json.loads(found.group(1)) if found else []
            lines = []
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        flush()
    return cells


def _may_raise(cell) -> bool:
    return "raises-exception" in cell.metadata.get("tags", []) or (
        "NBVAL_RAISES_EXCEPTION" in cell.source
    )


def build(src: pathlib.Path, run: bool = True) -> pathlib.Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(src.read_text(encoding="utf-8"))
    nb.metadata["kernelspec"] = {
        "name": "coopconc",
        "display_name": "coopconc (.venv)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    target = HERE / (src.stem + ".ipynb")
    if run:
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_name="coopconc",
            allow_errors=True,
            resources={"metadata": {"path": str(HERE)}},
        )
        client.execute()
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
            if cell.cell_type != "code":
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and not _may_raise(cell):
                    raise SystemExit(
                        f"{target.name}: a cell raised {out['ename']}: {out['evalue']}\n"
                        f"--- cell ---\n{cell.source}"
                    )
    nbformat.write(nb, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="build only notebooks starting with these")
    parser.add_argument("--no-run", action="store_true", help="convert without executing")
    args = parser.parse_args(argv)
    sources = sorted(SRC.glob("*.py"))
    if args.prefixes:
        sources = [s for s in sources if any(s.stem.startswith(p) for p in args.prefixes)]
        if not sources:
            parser.error(f"no notebook source in {SRC} starts with {args.prefixes}")
    for src in sources:
        print(f"building {src.stem}.ipynb", flush=True)
        build(src, run=not args.no_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
