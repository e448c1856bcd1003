"""The cell helpers behind ``tools/build_unit<N>_notebook.py``: markdown and code cells with
nbgrader metadata, the standard visible + hidden check cell, and the notebook file written out."""

from __future__ import annotations

import json
from pathlib import Path


class NotebookBuilder:
    """Collects the cells of one unit's source notebook (checks named ``<unit>.<exercise>``)."""

    def __init__(self, unit: str):
        self.unit = unit
        self.cells: list[dict] = []

    def md(self, cell_id: str, text: str) -> None:
        self.cells.append({"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text.strip("\n")})

    def code(self, cell_id: str, text: str, *, solution: str | None = None,
             test: tuple[str, int] | None = None) -> None:
        meta: dict = {}
        if solution:
            meta = {"nbgrader": {"grade": False, "grade_id": solution, "locked": False, "schema_version": 3,
                                 "solution": True, "task": False}}
        if test:
            meta = {"nbgrader": {"grade": True, "grade_id": test[0], "locked": True, "points": test[1],
                                 "schema_version": 3, "solution": False, "task": False}}
        self.cells.append({"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": meta,
                           "outputs": [], "source": text.strip("\n")})

    def check_cell(self, exercise: str, fn: str, points: int) -> None:
        self.code(f"test_{fn}", f'''
check("{self.unit}.{exercise}", {fn})
### BEGIN HIDDEN TESTS
check("{self.unit}.{exercise}", {fn}, suite="hidden")
### END HIDDEN TESTS''', test=(f"test_{fn}", points))

    def write(self, out: Path) -> None:
        cells = []
        for cell in self.cells:
            cell = dict(cell)
            lines = cell["source"].split("\n")
            cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
            cells.append(cell)
        nb = {"cells": cells,
              "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                          "name": "python3"},
                           "language_info": {"name": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {out} ({len(cells)} cells)")
