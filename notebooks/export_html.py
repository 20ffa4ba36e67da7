"""Export the executed course as a static web site: ``python notebooks/export_html.py [out]``.

Every ``notebooks/NN_name.ipynb`` is converted as it is stored (with its outputs; nothing is
re-executed) by nbconvert's ``HTMLExporter`` into ``<out>/NN_name.html``, and links between
notebooks (``04_greenlets.ipynb``) are pointed at the exported pages. ``<out>/index.html``
lists the notebooks in course order (by file name) with the title of each: the first heading
of its first markdown cell.

    python notebooks/export_html.py                  # writes build/html/ at the top of the repository
    python notebooks/export_html.py /tmp/site        # somewhere else
"""

from __future__ import annotations

import argparse
import html
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "build" / "html"

_NOTEBOOK_LINK = re.compile(r'href="(\d\d_[\w-]+)\.ipynb(#[^"]*)?"')


def course_notebooks(folder: pathlib.Path = HERE) -> list[pathlib.Path]:
    """The notebooks of the course, in course order (their names start with a number)."""
    return sorted(p for p in folder.glob("*.ipynb") if re.match(r"\d\d_", p.name))


def title_of(nb) -> str:
    """The first heading of the first markdown cell (without the leading #), or ''."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
            return ""
    return ""


def export(out: pathlib.Path = DEFAULT_OUT, folder: pathlib.Path = HERE) -> list[tuple[str, str]]:
    """Write every notebook of ``folder`` and an index to ``out``; return [(page, title)]."""
    import nbformat  # noqa: PLC0415 -- imported here, see the top of the file
    from nbconvert import HTMLExporter  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    pages = []
    for path in course_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        title = title_of(nb) or path.stem
        body, _resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        body = _NOTEBOOK_LINK.sub(lambda m: f'href="{m[1]}.html{m[2] or ""}"', body)
        page = path.stem + ".html"
        (out / page).write_text(body, encoding="utf-8")
        pages.append((page, title))
    (out / "index.html").write_text(index_page(pages), encoding="utf-8")
    return pages


def index_page(pages: list[tuple[str, str]]) -> str:
    """A plain HTML page linking every exported notebook, in order."""
    items = "\n".join(
        f'    <li><a href="{html.escape(page)}">{html.escape(title)}</a></li>'
        for page, title in pages
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>coopconc: the course</title>
  <style>
    body {{ font-family: sans-serif; max-width: 48rem; margin: 2rem auto; line-height: 1.5; }}
    li {{ margin: 0.3rem 0; }}
  </style>
</head>
<body>
  <h1>coopconc: cooperative concurrency, the course</h1>
  <p>One notebook per section of the source, executed, in course order.</p>
  <ol start="0">
{items}
  </ol>
</body>
</html>
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    pages = export(out)
    print(f"wrote {len(pages)} notebooks and index.html to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
