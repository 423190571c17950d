"""What to say about a key that is not a setting: the keys (or sections) that exist, and the
closest one. Called by `settings.sources` for config.toml and SWARMSTACK_* names."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from swarmstack.errors import InvalidInput


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (a typo's likely meaning), if any is close."""
    found = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_toml_key(
    section: str, key: str, where: str, known: Iterable[tuple[str, str]]
) -> InvalidInput:
    """The error for `key` in `[section]` (`""`: top level), given every known (section, key)
    pair: swarmstack's own and the seed's."""
    pairs = set(known)
    sections = {s for s, _ in pairs if s}
    if section and section not in sections:
        return InvalidInput(
            f"unknown section [{section}]",
            where=where,
            fix=_hint(section, sections, "sections", lambda s: f"[{s}]"),
        )
    keys = {k for s, k in pairs if s == section}
    here = f"[{section}]" if section else "the top level"
    return InvalidInput(
        f"unknown setting {key!r} in {here}",
        where=where,
        fix=_hint(key, keys, f"known keys in {here}", str),
    )


def unknown_env_name(name: str, where: str, names: Iterable[str]) -> InvalidInput:
    """The error for a SWARMSTACK_* variable that names no setting."""
    guess = closest(name, names)
    did_you_mean = f"did you mean {guess}? " if guess else ""
    return InvalidInput(
        f"unknown setting {name}",
        where=where,
        fix=f"{did_you_mean}names are SWARMSTACK_<GROUP>__<KEY>, e.g. SWARMSTACK_STORE__URL; "
        "`swarmstack config show` lists every key",
    )


def _hint(word: str, choices: set[str], label: str, show: Callable[[str], str]) -> str:
    guess = closest(word, choices)
    did_you_mean = f"did you mean {show(guess)}? " if guess else ""
    listed = ", ".join(show(c) for c in sorted(choices)) or "none"
    return f"{did_you_mean}{label}: {listed}; see `swarmstack config show`"
