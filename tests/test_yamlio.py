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


# --- the parse cache ---------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty data folder, so the parse cache starts cold."""
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "parsed"


def write_doc(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unchanged_file_comes_from_the_cache_and_a_changed_one_does_not(tmp_path, cache):
    """Is a file parsed once and then read from the cache, until its text changes?"""
    from sim.yamlio import cached_tree, has_lines, load_checked

    path = write_doc(tmp_path / "doc.yaml", "items:\n  - at: 1\n    action: a\n")
    first = cached_tree(path)
    assert has_lines(first) and len(list(cache.glob("*.json"))) == 1
    second = cached_tree(path)
    assert not has_lines(second) and second == {"items": [{"at": 1, "action": "a"}]}
    write_doc(path, "items:\n  - at: 2\n    action: b\n")
    assert load_checked(Doc, path, lambda d, _t: d).items[0].action == "b"


def test_a_broken_file_names_its_line_also_when_its_tree_is_cached(tmp_path, cache):
    """Does a file that fails its check report the YAML line, the second time (cached tree) too?"""
    from sim.yamlio import load_checked

    path = write_doc(tmp_path / "doc.yaml", "items:\n  - at: 1\n    action: a\n  - at: gisteren\n    action: b\n")
    for _ in range(2):
        with pytest.raises(InputError) as info:
            load_checked(Doc, path, lambda d, _t: d)
        assert (info.value.line, info.value.col) == (4, 9)
    assert list(cache.glob("*.json"))  # the tree was cached; its failure sent the loader back to the YAML


def test_a_tampered_cache_entry_is_not_believed(tmp_path, cache):
    """When a cached tree fails the model (a damaged or edited cache file), is the YAML read instead?"""
    import json

    from sim.yamlio import cached_tree, load_checked

    path = write_doc(tmp_path / "doc.yaml", "items:\n  - at: 1\n    action: a\n")
    cached_tree(path)
    entry = next(cache.glob("*.json"))
    data = json.loads(entry.read_text())
    data["tree"] = {"items": [{"at": "x", "unknown": 1}]}
    entry.write_text(json.dumps(data))
    assert load_checked(Doc, path, lambda d, _t: d).items[0].action == "a"
    entry.write_text("{not json")
    assert load_checked(Doc, path, lambda d, _t: d).items[0].action == "a"


def test_numbers_as_keys_are_not_cached_as_text(tmp_path, cache):
    """Is a tree that JSON cannot hold exactly (a number as a mapping key) left out of the cache?"""
    from sim.yamlio import cached_tree, has_lines

    path = write_doc(tmp_path / "doc.yaml", "1: een\n2: twee\n")
    cached_tree(path)
    assert has_lines(cached_tree(path))  # parsed again: nothing was cached
    assert not list(cache.glob("*.json"))
