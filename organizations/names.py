"""Display names (of organizations and API keys) that show exactly what they say.

A name is read by people deciding what to trust: which key to revoke, which organization a
key belongs to. Invisible characters let a name lie to them. A right-to-left override
(U+202E) before "live" makes "Backup live" display as "Backup evil"; zero-width characters and
bidi marks make two different names look identical; line separators and control codes
break table rows, logs and terminal output. No honest name needs any of them, so they are
refused rather than silently removed: the user sees what was wrong and retypes the name.
"""

from __future__ import annotations

import unicodedata

from core.errors import InvalidInput

NAME_INVISIBLE_CHARACTERS = (
    "Names cannot contain control or invisible formatting characters (such as text-direction "
    "overrides or zero-width spaces)."
)

# Unicode general categories refused anywhere in a name: controls (Cc: NUL, tabs, newlines,
# escapes), formats (Cf: bidi overrides, embeddings, isolates and marks, zero-width spaces
# and joiners, the byte-order mark, tags), surrogates (Cs: unpaired halves of a character
# that no database can store), line and paragraph separators (Zl, Zp). Categories, not a
# list of code points, so characters that later Unicode versions add are covered too.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def clean_display_name(
    value: object,
    *,
    field: str,
    max_length: int,
    required_message: str,
    too_long_message: str,
) -> str:
    """Return `value` without surrounding whitespace; refuse a blank, long or lying name.

    Raise `InvalidInput` naming `field`: with `required_message` for a missing, non-text
    or blank value, `too_long_message` beyond `max_length` characters, and
    `NAME_INVISIBLE_CHARACTERS` for any control or invisible formatting character.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(required_message, field=field)
    name = value.strip()
    if len(name) > max_length:
        raise InvalidInput(too_long_message, field=field)
    if any(unicodedata.category(char) in REFUSED_CATEGORIES for char in name):
        raise InvalidInput(NAME_INVISIBLE_CHARACTERS, field=field)
    return name
