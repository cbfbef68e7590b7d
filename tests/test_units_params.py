"""SI parsing and the typed parameter sets (no simulator needed)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurospice.params import Param, ParameterError, ParamSpec
from neurospice.params.units import format_si, parse_si, spice_number


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [("5p", "A", 5e-12), ("5e-12", "A", 5e-12), ("5pA", "A", 5e-12), ("5 pA", "A", 5e-12), ("1.5meg", "Hz", 1.5e6),
     ("20m", "s", 20e-3), ("2u", "m", 2e-6), ("2µm", "m", 2e-6), ("3", "V", 3.0), ("1.2V", "V", 1.2), (".5n", "", 5e-10)],
)  # fmt: skip
def test_parse_si(text: str, unit: str, value: float) -> None:
    assert parse_si(text, unit) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["abc", "5x", "5pF", "", "1e", "5p\n.include x", "{5p}", "5p A B"])
def test_parse_si_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a number|unknown suffix"):
        parse_si(text, "A")


@given(st.floats(min_value=1e-17, max_value=1e11, allow_nan=False))
def test_format_then_parse_round_trips(x: float) -> None:
    text = format_si(x, "A", digits=17).replace(" ", "")
    assert parse_si(text, "A") == pytest.approx(x, rel=1e-12)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_spice_number_is_exact(x: float) -> None:
    assert float(spice_number(x)) == x


SPEC = ParamSpec(
    (
        Param("i_tau", "A", "leak", 5e-12, 1e-14, 1e-8),
        Param("n", "", "count", 3, 0, 10, kind="int"),
        Param("kind", "", "kind", "a", kind="choice", choices=("a", "b")),
        Param("times", "s", "times", (), 0.0, 1.0, kind="floats"),
    )
)


def test_resolve_gives_si_values() -> None:
    values = SPEC.resolve({"i_tau": "20pA", "n": "7", "kind": "b", "times": "20m, 10m"})
    assert values == {"i_tau": pytest.approx(20e-12), "n": 7, "kind": "b", "times": (0.01, 0.02)}
    assert SPEC.resolve() == SPEC.defaults()


@pytest.mark.parametrize(
    ("overrides", "name", "accepted"),
    [({"i_tau": "1"}, "i_tau", r"\[10 fA, 10 nA\]"), ({"i_tau": "nan"}, "i_tau", "number"),
     ({"i_tau": math.inf}, "i_tau", "number"), ({"n": "2.5"}, "n", "whole number"), ({"kind": "c"}, "kind", "one of a, b"),
     ({"times": "0.1,2"}, "times", "comma-separated"), ({"nope": 1}, "nope", "accepted names: i_tau, n, kind, times"),
     ({"i_tau": True}, "i_tau", "number"), ({"i_tau": "5p\n.include /etc/passwd"}, "i_tau", "number")],
)  # fmt: skip
def test_bad_values_name_parameter_and_range(overrides: dict[str, object], name: str, accepted: str) -> None:
    with pytest.raises(ParameterError, match=accepted) as info:
        SPEC.resolve(overrides)
    assert info.value.name == name
    assert f"'{name}'" in str(info.value)


def test_invalid_default_is_refused() -> None:
    with pytest.raises(ParameterError):
        ParamSpec((Param("x", "A", "bad default", 1.0, 0.0, 0.5),))


def test_resolved_values_are_a_frozen_typed_record():
    import pickle

    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology
    from neurospice.params import Values

    c = get_circuit("dpi-synapse")
    v = c.values({"i_tau": "5p"}, get_technology("gf180mcu"))
    assert isinstance(v, Values)
    assert v.number("i_tau") == 5e-12
    assert v.word("input_kind") == "regular"
    assert isinstance(v.whole("input_count"), int)
    with pytest.raises(TypeError, match="input_kind"):
        v.number("input_kind")
    with pytest.raises(TypeError):
        v["i_tau"] = 1e-12  # type: ignore[index]
    with pytest.raises(AttributeError):
        v.i_tau = 1e-12  # type: ignore[attr-defined]
    w = v.replace({"i_tau": "20p"})
    assert (v.number("i_tau"), w.number("i_tau")) == (5e-12, 20e-12)
    with pytest.raises(ParameterError, match="i_tau"):
        v.replace({"i_tau": "-1p"})
    with pytest.raises(ParameterError, match="nonsense"):
        v.replace({"nonsense": 1})
    assert pickle.loads(pickle.dumps(v)) == v
    assert hash(c.values({"i_tau": 5e-12}, get_technology("gf180mcu"))) == hash(v)
    assert list(v) == [p.name for p in c.params]  # declaration order, every parameter


def test_int_defaults_resolve_to_ints():
    from neurospice.circuits import get_circuit

    for name in ("dpi-synapse", "dpi-neuron", "axon-hillock"):
        spec = get_circuit(name).params
        values = spec.resolve()
        for p in spec:
            if p.kind == "int":
                assert type(values[p.name]) is int, p.name


def test_a_values_record_is_not_coerced_again_but_its_sizes_still_meet_the_technology() -> None:
    """``Circuit.values`` trusts a record of its own parameters (no second coercion) and still checks its sizes."""
    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology

    neuron, sky = get_circuit("dpi-neuron"), get_technology("sky130")
    values = neuron.values({}, sky)  # the 0.22 µm default switch raised to sky130's 0.42 µm
    assert neuron.values(values, sky) is values
    unchecked = neuron.params.resolve({})  # gf180mcu's defaults, never checked against sky130
    with pytest.raises(ParameterError, match=r"w_pw.*sky130's devices need at least"):
        neuron.values(unchecked, sky)
