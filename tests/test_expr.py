"""Tests for the condition language (sim/expr.py)."""

import pytest

from sim.expr import ExprError, Var, compile_condition

VOCAB = {
    "verspreiding": Var("enum", ("geen", "een-persoon", "klas", "school"), ordered=True),
    "dader_school": Var("enum", ("eigen", "andere", "geen", "onbekend")),
    "minderjarig": Var("bool"),
    "onrust": Var("number"),
    "gedaan": Var("set"),
}


def holds(text, **env):
    return compile_condition(text, VOCAB).holds(env)


def test_ordered_enum_comparisons_use_the_declared_order():
    """Does 'klas' >= 'een-persoon' follow the enum order, not the alphabet?"""
    assert holds("verspreiding >= 'een-persoon'", verspreiding="klas")
    assert not holds("verspreiding >= 'klas'", verspreiding="een-persoon")
    assert holds("verspreiding < 'school'", verspreiding="geen")


def test_boolean_logic_membership_and_sets():
    """Do and/or/not, in and the set of steps taken combine as written?"""
    assert holds("minderjarig and dader_school in ['eigen', 'andere']", minderjarig=True, dader_school="andere")
    assert not holds("not minderjarig or onrust > 50", minderjarig=True, onrust=10)
    assert holds("'gesprek-slachtoffer' in gedaan", gedaan=frozenset({"gesprek-slachtoffer"}))
    assert holds("'x' not in gedaan")  # a missing set is empty
    assert holds("true") and not holds("false")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("verspreidng == 'klas'", "did you mean 'verspreiding'"),
        ("verspreiding == 'klass'", "did you mean 'klas'"),
        ("dader_school > 'eigen'", "no order"),
        ("__import__('os')", "not allowed"),
        ("onrust == 'veel'", "must be a number"),
        ("minderjarig ==", "cannot read"),
        ("(lambda: 1)()", "not allowed"),
        ("minderjarig.real", "not allowed"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(text, fragment):
    """Is every malformed or unsafe condition an error naming the problem?"""
    with pytest.raises(ExprError) as info:
        compile_condition(text, VOCAB)
    assert fragment in str(info.value)


def test_error_column_points_into_the_condition():
    """Does the column of an unknown name point at that name?"""
    with pytest.raises(ExprError) as info:
        compile_condition("minderjarig and onbekend", VOCAB)
    assert info.value.col == 17


@pytest.mark.parametrize(
    "text", ["dader_school", "onrust and minderjarig", "not verspreiding", "minderjarig >= true", "3"]
)
def test_values_that_are_not_truths_are_refused(text):
    """Is a bare enum, number or an ordering of booleans an error instead of always-true?"""
    with pytest.raises(ExprError):
        compile_condition(text, VOCAB)


def test_missing_enum_value_satisfies_no_ordering():
    """Is a missing spread neither <= nor >= any level?"""
    assert not holds("verspreiding <= 'klas'")
    assert not holds("verspreiding >= 'geen'")
