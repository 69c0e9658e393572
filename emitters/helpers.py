"""Helpers: module-level code (functions, classes) a generated module holds only when it uses it.

Render code collects the `Helper`s it uses in a set (`Helpers`) and writes the code of those it
used where its module wants it, in a fixed order of its own (`include`). A helper may need others
(`needs`: `per_step` calls `aligned`), and may be a marker without code (a generated class that an
op kind names but defines nowhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .toolkit import fixed


@dataclass(frozen=True)
class Helper:
    name: str  # the name of the function or class it defines
    text: str = ""  # its code, a template declared with `toolkit.fixed_text`
    needs: tuple[Helper, ...] = ()

    def statements(self) -> list[cst.BaseStatement]:
        return fixed(self.text) if self.text else []


Helpers = set[Helper]


def include(used: Helpers, order) -> list[cst.BaseStatement]:
    """The code of the helpers of `order` that are `used` (or needed by one used), in that order."""
    wanted = set(used)
    wanted.update(need for helper in used for need in helper.needs)
    return [node for helper in order if helper in wanted for node in helper.statements()]
