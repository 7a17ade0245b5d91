"""The knowledge package's error tree. Every error carries the data its message needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class KnowledgeError(Exception):
    """Base of every error raised by the knowledge package."""


class KnowledgeFileError(KnowledgeError):
    """One problem in one knowledge file, located by path and (when known) line.

    Attributes:
        path: The file (or folder) with the problem.
        line: 1-based line number, or ``None`` when the problem concerns the whole file.
        message: What is wrong, phrased for the staff editor who has to fix it.
    """

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.location + ": " + message)

    @property
    def location(self) -> str:
        """``path:line``, or just ``path`` when the line is unknown (as compilers print it)."""
        return str(self.path) if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class KnowledgeWarning:
    """A problem that does not stop loading, such as an unknown field.

    Attributes:
        path: The file with the problem.
        line: 1-based line number, or ``None`` when the problem concerns the whole file.
        message: What looks wrong, phrased for the staff editor.
    """

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        location = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        return f"{location}: warning: {self.message}"


class KnowledgeLoadError(KnowledgeError):
    """Loading found one or more problems; all of them are listed, not only the first.

    Attributes:
        errors: Every problem found, in file order, then line order.
        warnings: The warnings found on the way, so that a check can print them too.
    """

    def __init__(
        self,
        errors: Sequence[KnowledgeFileError],
        *,
        warnings: Sequence[KnowledgeWarning] = (),
    ) -> None:
        self.errors: list[KnowledgeFileError] = list(errors)
        self.warnings: list[KnowledgeWarning] = list(warnings)
        count = len(self.errors)
        head = f"{count} problem{'' if count == 1 else 's'} in the knowledge files"
        super().__init__("\n".join([head + ":", *(str(error) for error in self.errors)]))


class EmbeddingModelMissing(KnowledgeError):
    """The static word-embedding model that ships inside the ``wordllama`` wheel is missing.

    Attributes:
        path: Where the model file was looked for.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the embedding model is missing: {path} (install Helpline with its dependencies; "
            "the model ships inside the wordllama package and is never downloaded)"
        )
        self.path = path


class OptionalModelMissing(KnowledgeError):
    """An optional retrieval model was chosen but its packages are not installed.

    Attributes:
        model: The model's name in the settings (``knowledge_model``).
        extra: The optional-dependency group that installs it.
        missing: The packages (or files) that were not found.
    """

    def __init__(self, model: str, extra: str, missing: Sequence[str]) -> None:
        super().__init__(
            f"knowledge_model = {model!r} needs the optional {extra!r} extra, which is not "
            f"installed (missing: {', '.join(missing)}); install it with "
            f"pip install 'helpline[{extra}]' or set knowledge_model = 'wordllama'"
        )
        self.model = model
        self.extra = extra
        self.missing = tuple(missing)
