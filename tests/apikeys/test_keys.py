"""Key format, checksum and digests (apikeys.keys)."""

import re

from hypothesis import given
from hypothesis import strategies as st

from apikeys import keys

PEPPER = b"pepper"


def test_a_generated_key_has_brand_mode_body_and_checksum():
    raw, prefix = keys.generate("kp", "live")
    assert re.fullmatch(r"kp_live_[0-9A-Za-z]{49}", raw)
    assert prefix == raw[: len("kp_live_") + 8]
    assert keys.checksum(raw[:-6]) == raw[-6:]


def test_generated_keys_are_unique():
    generated = {keys.generate("kp", "test")[0] for _ in range(200)}
    assert len(generated) == 200


def test_parse_accepts_a_generated_key_and_returns_its_prefix():
    raw, prefix = keys.generate("kp", "test")
    parsed = keys.parse(raw, "kp")
    assert parsed is not None
    assert (parsed.mode, parsed.prefix) == ("test", prefix)


def test_a_single_typo_fails_the_checksum():
    raw, _ = keys.generate("kp", "live")
    position = len("kp_live_") + 10
    replacement = "A" if raw[position] != "A" else "B"
    typo = raw[:position] + replacement + raw[position + 1 :]
    assert keys.parse(typo, "kp") is None


def test_parse_refuses_other_brands_modes_lengths_and_alphabets():
    raw, _ = keys.generate("kp", "live")
    assert keys.parse(raw, "other") is None
    assert keys.parse(raw.replace("_live_", "_prod_"), "kp") is None
    assert keys.parse(raw + "x", "kp") is None
    assert keys.parse(raw[:-1] + "!", "kp") is None
    assert keys.parse("", "kp") is None
    assert keys.parse("x" * 70_000, "kp") is None


@given(st.text(max_size=200))
def test_parse_never_raises_on_arbitrary_text(text):
    assert keys.parse(text, "kp") is None or text.startswith("kp_")


def test_a_digest_is_a_peppered_hmac_that_verifies_only_the_same_key_and_pepper():
    raw, _ = keys.generate("kp", "live")
    stored = keys.digest(raw, PEPPER)
    assert raw not in stored and len(stored) == 64
    assert keys.verify(raw, stored, keys.HASH_VERSION, PEPPER)
    assert not keys.verify(raw, stored, keys.HASH_VERSION, b"another pepper")
    other = raw[:-1] + ("1" if raw.endswith("0") else "0")  # always a different key
    assert not keys.verify(other, stored, keys.HASH_VERSION, PEPPER)


def test_an_unknown_hash_version_never_verifies():
    raw, _ = keys.generate("kp", "live")
    assert not keys.verify(raw, keys.digest(raw, PEPPER), 99, PEPPER)


def test_the_pepper_derived_from_the_secret_key_is_not_the_secret_key():
    derived = keys.derive_pepper("secret")
    assert derived != b"secret" and len(derived) == 32
    assert keys.derive_pepper("secret") == derived != keys.derive_pepper("other")


def test_base62_round_trips_fixed_width():
    assert keys.base62(0, 6) == "000000"
    assert keys.base62(61, 2) == "0z"
