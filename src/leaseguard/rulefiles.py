"""Rule files (thresholds, tiers, rates as data): the one way to read one. A shipped default lives in
`leaseguard/defaults/`; a lessor's own file replaces it. Whatever is wrong with a file — unreadable, not YAML,
a field missing or out of range — is one `RuleFileError` naming the file, the place in it and the reason."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from leaseguard.errors import InvalidInputError

Model = TypeVar("Model", bound=BaseModel)


class RuleFileError(InvalidInputError):
    """A rule file that cannot be used; the message names the file, where in it, and why."""


def read_rule_file(path: Path | None, shipped: str) -> tuple[Any, str]:
    """The parsed YAML of `path`, or of the shipped default `shipped` (a path under leaseguard/defaults), and
    the name to cite it by."""
    if path is None:
        source = f"leaseguard/defaults/{shipped}"
        text = resources.files("leaseguard.defaults").joinpath(shipped).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RuleFileError(f"{source}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise RuleFileError(
                f"{source}: cannot read it ({getattr(error, 'strerror', None) or error})"
            ) from None
    try:
        return yaml.safe_load(text), source
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RuleFileError(f"{source}: {where}not YAML ({reason})") from None


def validated(model: type[Model], data: Any, source: str) -> Model:
    """`data` as `model`, or a RuleFileError naming `source`, each field in error (dotted) and the reason."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for found in error.errors():
            where = ".".join(str(part) for part in found["loc"]) or "the file"
            problems.append(f"{where}: {found['msg']}")
        raise RuleFileError(f"{source}: " + "; ".join(problems)) from None


def load_rule_file(model: type[Model], path: Path | None, shipped: str) -> Model:
    """The rule file at `path` (or the shipped default `shipped`) read and checked as `model`."""
    data, source = read_rule_file(path, shipped)
    return validated(model, data, source)
