"""SimpleDense as a Keras citizen, and trace_layer_call on real layers.

The checks follow Keras's own layer test (keras/src/testing/test_case.py::run_layer_test):
config and serialization round trips, weight counts, symbolic and eager calls, a training
step, mixed precision; `.keras` saving as in keras/src/saving/saving_lib_test.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from kerasguide import CallEvent, SimpleDense, trace_layer_call


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _reference(layer: SimpleDense, x: np.ndarray, activation: Any = None) -> np.ndarray:
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    out = x @ kernel + bias
    return out if activation is None else activation(out)


# --- building and computing ---------------------------------------------------------------


def test_weights_are_created_lazily_by_the_first_call() -> None:
    layer = SimpleDense(4)
    assert not layer.built
    assert layer.weights == []
    layer(_x(2, 3))
    assert layer.built
    assert [tuple(w.shape) for w in layer.weights] == [(3, 4), (4,)]
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert len(layer.trainable_weights) == 2
    assert layer.non_trainable_weights == []


def test_kernel_is_random_normal_and_bias_is_zeros_like_the_lecture() -> None:
    layer = SimpleDense(200, kernel_initializer=keras.initializers.RandomNormal(seed=1))
    layer.build((None, 300))
    kernel, bias = layer.get_weights()
    assert np.all(bias == 0)
    # keras "random_normal": mean 0, stddev 0.05.
    assert abs(kernel.mean()) < 0.005
    assert kernel.std() == pytest.approx(0.05, rel=0.05)
    config = SimpleDense(2).get_config()
    assert config["kernel_initializer"]["class_name"] == "RandomNormal"
    assert config["bias_initializer"]["class_name"] == "Zeros"


@pytest.mark.parametrize(
    ("activation", "reference"),
    [
        (None, None),
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        (keras.activations.tanh, np.tanh),
        (lambda z: 2 * z, lambda z: 2 * z),
    ],
)
def test_call_is_affine_map_then_activation(activation: Any, reference: Any) -> None:
    layer = SimpleDense(5, activation=activation)
    x = _x(4, 3)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, _reference(layer, x, reference), rtol=1e-5, atol=1e-6)


def test_higher_rank_input_maps_the_last_axis() -> None:
    layer = SimpleDense(4)
    x = _x(2, 5, 3)
    out = np.asarray(layer(x))
    assert out.shape == (2, 5, 4)
    np.testing.assert_allclose(out, _reference(layer, x), rtol=1e-5, atol=1e-6)


def test_symbolic_call_gives_the_output_spec() -> None:
    inputs = keras.Input(shape=(3,))
    outputs = SimpleDense(4, activation="relu")(inputs)
    assert tuple(outputs.shape) == (None, 4)
    assert outputs.dtype == "float32"


# --- configuration and serialization --------------------------------------------------------


def test_config_round_trip() -> None:
    layer = SimpleDense(7, activation="softmax", name="dense_seven")
    config = layer.get_config()
    assert config["units"] == 7
    assert config["activation"] == "softmax"
    clone = SimpleDense.from_config(config)
    assert clone.get_config() == config


def test_serialize_keras_object_round_trip() -> None:
    layer = SimpleDense(3, activation="relu")
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "kerasguide>SimpleDense"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is SimpleDense
    assert restored.get_config() == layer.get_config()


def test_registered_as_serializable() -> None:
    assert keras.saving.get_registered_name(SimpleDense) == "kerasguide>SimpleDense"
    assert keras.saving.get_registered_object("kerasguide>SimpleDense") is SimpleDense


def test_model_saves_to_keras_file_and_loads_with_same_outputs(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), SimpleDense(8, activation="relu"), SimpleDense(2, activation="softmax")]
    )
    x = _x(5, 3)
    expected = np.asarray(model(x))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert [type(layer) for layer in restored.layers] == [SimpleDense, SimpleDense]
    np.testing.assert_allclose(np.asarray(restored(x)), expected, rtol=1e-6)


# --- in models ------------------------------------------------------------------------------


def test_in_sequential_functional_and_subclassed_models() -> None:
    x = _x(6, 3)

    sequential = keras.Sequential([keras.Input((3,)), SimpleDense(4, activation="relu")])

    inputs = keras.Input((3,))
    functional = keras.Model(inputs, SimpleDense(4, activation="relu")(inputs))

    class Subclassed(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = SimpleDense(4, activation="relu")

        def call(self, inputs: Any) -> Any:
            return self.dense(inputs)

    subclassed = Subclassed()
    subclassed(x)

    weights = sequential.get_weights()
    functional.set_weights(weights)
    subclassed.set_weights(weights)
    expected = np.maximum(x @ weights[0] + weights[1], 0)
    for model in (sequential, functional, subclassed):
        assert len(model.trainable_weights) == 2
        np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-6)


def test_a_training_step_updates_the_weights() -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), SimpleDense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    x = _x(16, 3)
    y = x.sum(axis=1, keepdims=True)
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    after = model.get_weights()
    assert all(not np.allclose(b, a) for b, a in zip(before, after, strict=True))


def test_mixed_float16_policy_computes_in_float16_with_float32_weights() -> None:
    layer = SimpleDense(4, activation="relu", dtype="mixed_float16")
    out = layer(_x(2, 3))
    assert out.dtype == "float16"
    assert {w.dtype for w in layer.weights} == {"float32"}
    inputs = keras.Input((3,))
    assert SimpleDense(4, dtype="mixed_float16")(inputs).dtype == "float16"


def test_mixed_float16_global_policy_in_a_model() -> None:
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((3,)), SimpleDense(4), SimpleDense(2)])
    finally:
        keras.config.set_dtype_policy(previous)
    out = model(_x(2, 3))
    assert out.dtype == "float16"
    assert {w.dtype for w in model.weights} == {"float32"}
    assert model.layers[0].dtype_policy.name == "mixed_float16"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("units", [0, -3, 2.5, "4", True, None])
def test_units_must_be_a_positive_integer(units: Any) -> None:
    with pytest.raises(ValueError, match="units") as info:
        SimpleDense(units)
    assert repr(units) in str(info.value)


def test_numpy_integer_units_are_accepted() -> None:
    assert SimpleDense(np.int64(3)).units == 3


@pytest.mark.parametrize("activation", ["no_such_activation", 3, [1]])
def test_unknown_activation(activation: Any) -> None:
    with pytest.raises(ValueError, match="activation") as info:
        SimpleDense(2, activation=activation)
    assert repr(activation) in str(info.value)


def test_unknown_initializer() -> None:
    with pytest.raises(ValueError, match="kernel_initializer='nope'"):
        SimpleDense(2, kernel_initializer="nope")


def test_rank_1_input_is_rejected_eager_and_symbolic() -> None:
    with pytest.raises(ValueError, match=r"랭크 2 이상.*input_shape=\(3,\)"):
        SimpleDense(2)(np.ones(3, dtype="float32"))
    with pytest.raises(ValueError, match="랭크 2 이상"):
        SimpleDense(2)(keras.Input(batch_shape=(3,)))


def test_unknown_last_dimension_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"마지막 차원.*input_shape=\(None, None\)"):
        SimpleDense(2)(keras.Input(shape=(None,)))
    with pytest.raises(ValueError, match="마지막 차원"):
        keras.Sequential([SimpleDense(2)]).build((None, None))


def test_input_with_another_last_dimension_after_build_is_rejected() -> None:
    layer = SimpleDense(2)
    layer(_x(2, 3))
    with pytest.raises(ValueError, match=r"마지막 차원이 3 .*inputs.shape=\(2, 5\)"):
        layer(_x(2, 5))


# --- trace_layer_call -----------------------------------------------------------------------


def test_first_call_builds_then_calls() -> None:
    layer = SimpleDense(4, name="traced")
    events = trace_layer_call(layer, _x(2, 3))
    assert [e.method for e in events] == ["__call__", "build", "call", "return"]
    assert [e.built for e in events] == [False, False, True, True]
    assert [e.num_weights for e in events] == [0, 0, 2, 2]
    assert [e.shape for e in events] == [(2, 3), (2, 3), (2, 3), (2, 4)]
    assert {e.layer for e in events} == {"traced"}
    assert all(isinstance(e, CallEvent) for e in events)


def test_second_call_skips_build() -> None:
    layer = SimpleDense(4)
    trace_layer_call(layer, _x(2, 3))
    events = trace_layer_call(layer, _x(5, 3))
    assert [e.method for e in events] == ["__call__", "call", "return"]
    assert all(e.built for e in events)
    assert events[-1].shape == (5, 4)


def test_trace_leaves_the_layer_unpatched() -> None:
    layer = SimpleDense(4)
    build_before = layer.__dict__["build"]  # Keras's own build wrapper
    trace_layer_call(layer, _x(2, 3))
    assert layer.__dict__["build"] is build_before
    assert "call" not in layer.__dict__
    assert "compute_output_shape" not in layer.__dict__
    # An ordinary call afterwards records nothing and still works.
    assert tuple(layer(_x(1, 3)).shape) == (1, 4)


def test_trace_restores_the_layer_after_an_error() -> None:
    layer = SimpleDense(4)
    with pytest.raises(ValueError, match="랭크 2 이상"):
        trace_layer_call(layer, np.ones(3, dtype="float32"))
    assert "call" not in layer.__dict__
    assert not layer.built
    assert [e.method for e in trace_layer_call(layer, _x(2, 3))] == [
        "__call__",
        "build",
        "call",
        "return",
    ]


def test_trace_a_symbolic_call_infers_the_output_shape() -> None:
    events = trace_layer_call(SimpleDense(4), keras.Input(shape=(3,)))
    assert [e.method for e in events] == ["__call__", "build", "compute_output_shape", "return"]
    assert events[1].shape == (None, 3)
    assert events[-1].shape == (None, 4)


def test_trace_works_on_keras_own_layers() -> None:
    events = trace_layer_call(keras.layers.Dense(2), _x(2, 3))
    assert [e.method for e in events] == ["__call__", "build", "call", "return"]
    events = trace_layer_call(keras.layers.Dropout(0.5), _x(2, 3), training=True)
    assert "call" in [e.method for e in events]


def test_trace_rejects_a_non_layer() -> None:
    with pytest.raises(TypeError, match="layer"):
        trace_layer_call(lambda x: x, _x(2, 3))  # type: ignore[arg-type]


def test_call_event_text_is_readable() -> None:
    events = trace_layer_call(SimpleDense(4), _x(2, 3))
    lines = [str(e) for e in events]
    assert lines[0].startswith("__call__()")
    assert lines[1].startswith("    build()")
    assert "input_shape=(2, 3)" in lines[1]
    assert "built=False" in lines[1]
    assert "가중치 생성" in lines[1]
    assert lines[2].startswith("    call()") and "built=True" in lines[2]
    assert "정방향 패스" in lines[2]  # the site's one word for the forward pass
    assert "outputs.shape=(2, 4)" in lines[3]
    assert "method='build'" in repr(events[1])


# --- Keras's own layer test, on whichever backend this run uses -------------------------------


def test_keras_run_layer_test_passes_on_this_backend() -> None:
    # keras/src/testing/test_case.py::run_layer_test: config and serialization round trips,
    # weight counts, symbolic and eager calls, a fit step, mixed precision. A private module of
    # Keras, used as Keras's own layers use it; it runs on TensorFlow and on JAX alike.
    testing = pytest.importorskip("keras.src.testing")

    class Harness(testing.TestCase):  # type: ignore[misc,name-defined]
        def runTest(self) -> None:  # unittest runs this method
            self.run_layer_test(
                SimpleDense,
                init_kwargs={"units": 4, "activation": "relu"},
                input_shape=(2, 3),
                expected_output_shape=(2, 4),
                expected_num_trainable_weights=2,
                expected_num_non_trainable_weights=0,
                expected_num_seed_generators=0,
                expected_num_losses=0,
                supports_masking=True,  # as keras.layers.Dense
            )

    result = Harness().run()
    assert result is not None and result.wasSuccessful(), result.errors + result.failures
