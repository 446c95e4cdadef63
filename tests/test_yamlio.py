"""Tests for safe YAML loading with line numbers (sim/yamlio.py)."""

import pytest
from pydantic import BaseModel, ConfigDict

from sim.errors import InputError
from sim.yamlio import MAX_BYTES, load_model, read_yaml


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: float
    action: str


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item]


def error_of(text, model=Doc):
    with pytest.raises(InputError) as info:
        load_model(model, "f.yaml", text)
    return info.value


def test_wrong_type_points_at_the_line_and_column():
    """Does 'at: gisteren' on line 3 give f.yaml:3:..?"""
    err = error_of("items:\n  - at: 1\n    action: a\n  - at: gisteren\n    action: b\n")
    assert (err.line, err.col) == (4, 9)
    assert "items.1.at" in err.message and "gisteren" in err.message


def test_unknown_field_gets_a_suggestion():
    """Does a misspelt field name suggest the right one?"""
    err = error_of("items:\n  - at: 1\n    actoin: a\n")
    assert "unknown field 'actoin'" in err.message
    assert "did you mean 'action'" in err.message


def test_duplicate_keys_are_refused():
    """Is a key given twice an error on the second one's line?"""
    err = error_of("items: []\nitems: []\n")
    assert "duplicate key" in err.message
    assert err.line == 2


def test_alias_bomb_is_refused_before_expanding():
    """Is a billion-laughs document refused without expanding it?"""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    err = error_of(bomb)
    assert "anchors" in err.message or "aliases" in err.message


def test_huge_and_deep_and_binary_files_are_refused(tmp_path):
    """Are oversized, too deeply nested and non-UTF-8 inputs clear errors?"""
    assert "too large" in error_of("x: " + "a" * (MAX_BYTES + 1)).message
    assert "deeper" in error_of("x: " + "[" * 100 + "]" * 100).message
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"items:\n  - \xff\xfe\n")
    with pytest.raises(InputError) as info:
        read_yaml(p)
    assert "UTF-8" in info.value.message and info.value.line == 2


def test_syntax_error_is_located():
    """Does broken YAML report where it broke?"""
    err = error_of("items:\n  - at: [1, 2\n")
    assert err.line >= 2 and err.message.startswith("invalid YAML")


def test_top_level_must_be_a_mapping():
    """Is a list at the top a clear error rather than a crash?"""
    assert "expected a mapping" in error_of("- 1\n- 2\n").message
