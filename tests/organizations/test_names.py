"""`clean_display_name`: a name shows exactly what it says, or it is refused."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from organizations.names import NAME_INVISIBLE_CHARACTERS, clean_display_name

REQUIRED = "Give it a name."
TOO_LONG = "At most 20 characters."
MAX_LENGTH = 20

# Characters that change how a name reads without being seen: bidi overrides, embeddings
# and isolates, zero-width characters, the byte-order mark, separators, control codes.
INVISIBLE = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE: "…\u202elive" reads as "…evil"
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u202a",  # LEFT-TO-RIGHT EMBEDDING
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",  # ZERO WIDTH NON-JOINER
    "\u200d",  # ZERO WIDTH JOINER
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2067",  # RIGHT-TO-LEFT ISOLATE
    "\u2068",  # FIRST STRONG ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\u2060",  # WORD JOINER
    "\ufeff",  # ZERO WIDTH NO-BREAK SPACE (byte-order mark)
    "\u00ad",  # SOFT HYPHEN
    "\U000e0041",  # TAG LATIN CAPITAL LETTER A
    "\u2028",  # LINE SEPARATOR
    "\u2029",  # PARAGRAPH SEPARATOR
    "\x00",  # NUL
    "\x07",  # BEL
    "\t",
    "\n",
    "\x1b",  # ESC: starts terminal escape sequences in command output
    "\x7f",  # DEL
    "\x85",  # NEXT LINE
    "\ud800",  # a lone surrogate (JSON can carry one; no database can store it)
]


def clean(value: object, max_length: int = MAX_LENGTH) -> str:
    return clean_display_name(
        value,
        field="name",
        max_length=max_length,
        required_message=REQUIRED,
        too_long_message=TOO_LONG,
    )


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_name_with_an_invisible_or_control_character_is_refused(char):
    with pytest.raises(InvalidInput) as refused:
        clean(f"Prod{char}key")

    assert refused.value.message == NAME_INVISIBLE_CHARACTERS
    assert refused.value.field == "name"


def test_a_right_to_left_override_cannot_make_a_name_read_backwards():
    with pytest.raises(InvalidInput, match=re.escape(NAME_INVISIBLE_CHARACTERS)):
        clean("Backup \u202elive", max_length=100)


def test_the_refusal_names_the_field_it_was_given():
    with pytest.raises(InvalidInput) as refused:
        clean_display_name(
            "a\u200bb",
            field="title",
            max_length=10,
            required_message=REQUIRED,
            too_long_message=TOO_LONG,
        )

    assert refused.value.field == "title"


@pytest.mark.parametrize(
    "name",
    ["Café Olé", "Ñandú 3", "Zoë's PMS-sync (v2)", "東京クリニック", "Клиника", "🐶 Happy Paws 🐾"],
)
def test_readable_names_are_accepted_unchanged(name):
    assert clean(name) == name


def test_surrounding_whitespace_is_stripped_before_the_checks():
    assert clean("  Front desk \n") == "Front desk"


@pytest.mark.parametrize("value", [None, 42, "", "   ", "\t\n"])
def test_a_missing_blank_or_non_text_name_is_required(value):
    with pytest.raises(InvalidInput, match=REQUIRED):
        clean(value)


def test_a_name_may_be_exactly_as_long_as_the_limit_and_no_longer():
    assert clean("n" * MAX_LENGTH) == "n" * MAX_LENGTH
    with pytest.raises(InvalidInput, match=TOO_LONG):
        clean("n" * (MAX_LENGTH + 1))


# Properties -----------------------------------------------------------------------------

# Letters (accented ones too, precomposed or combined), digits, punctuation, spaces and
# emoji symbols: everything a readable name is made of. An emoji joined with U+200D (ZWJ)
# is not among them: the joiner is an invisible format character and is refused.
READABLE = st.characters(categories=["L", "M", "N", "P", "Zs", "So"])
INVISIBLE_CATEGORIES = st.characters(categories=["Cc", "Cf"])


@given(
    before=st.text(READABLE, max_size=20),
    bad=INVISIBLE_CATEGORIES,
    after=st.text(READABLE, max_size=20),
)
def test_any_name_containing_a_control_or_format_character_is_refused(before, bad, after):
    # The letters around it keep it from being stripped away as surrounding whitespace.
    with pytest.raises(InvalidInput) as refused:
        clean(f"a{before}{bad}{after}z", max_length=100)

    assert refused.value.message == NAME_INVISIBLE_CHARACTERS


@given(st.text(READABLE, min_size=1, max_size=100).filter(str.strip))
def test_any_readable_name_is_accepted_as_typed_less_surrounding_spaces(name):
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in name)

    assert clean(name, max_length=100) == name.strip()
