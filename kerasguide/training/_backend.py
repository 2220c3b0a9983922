"""백엔드마다 다른 부품을 고른다: 분산 전략, 훈련기, 체크포인트 형식.

:func:`kerasguide.training.fit` 이 백엔드를 한 번 정한 뒤 이 함수들로 그 백엔드의 부품을 만든다.
텐서플로와 JAX 의 모듈은 필요할 때만 불러온다(JAX 에서 텐서플로를 불러오지 않도록).
"""

from __future__ import annotations

from typing import Any

import keras

import kerasguide._checks as check

__all__ = [
    "create_trainer",
    "jax_distribution",
    "jax_processes",
    "make_checkpoint",
    "resolve_strategy",
    "strategy_module",
]


def jax_distribution() -> Any:
    import kerasguide.training._jax_distribution as _jax_distribution_module

    return _jax_distribution_module


def jax_processes() -> int:
    """JAX processes that train as one (more than one under a multi-process distribution)."""
    return int(jax_distribution().process_count())


def strategy_module() -> Any:
    import kerasguide.training._strategy as _strategy_module

    return _strategy_module


def resolve_strategy(backend: str, strategy: Any) -> tuple[Any, bool]:
    """``tf.distribute`` 전략(텐서플로)과 그것이 진짜 분산 전략인지."""
    if backend == "tensorflow":
        module = strategy_module()
        resolved = module.resolve_strategy(strategy)
        module.check_cross_replica_context()
        return resolved, module.is_distributed(resolved)
    if strategy is not None:
        raise check.argument_error(
            "strategy",
            strategy,
            "텐서플로 백엔드의 tf.distribute 전략을 위한 인자라서 "
            f"{backend} 백엔드에서는 None 이어야 한다",
            hint="JAX 에서 여러 장치로 훈련하려면 fit 을 부르기 전에 "
            "keras.distribution.set_distribution(keras.distribution.DataParallel()) 로 케라스의 "
            "분산 설정을 켠다 (모델도 그 뒤에 만든다).",
        )
    return None, False


def create_trainer(
    backend: str, model: keras.Model, sample: tuple[Any, ...], *, distributed: bool, **kwargs: Any
) -> Any:
    """백엔드의 훈련기. 배치 하나로 만든다(전략이 있으면 그 scope 안에서)."""
    if backend == "jax":
        from kerasguide.training._jax_loop import JaxTrainer

        return JaxTrainer.create(model, sample, **kwargs)
    from kerasguide.training._loop import TensorFlowTrainer

    if not distributed:
        return TensorFlowTrainer.create(model, sample, **kwargs)
    strategy = kwargs["strategy"]
    # Objects the user made must have been made in the scope.
    check_created_in_scope = strategy_module().check_created_in_scope
    if model.built and model.variables:
        check_created_in_scope(strategy, model)
    with strategy.scope():
        trainer = TensorFlowTrainer.create(model, sample, **kwargs)
    check_created_in_scope(strategy, model, trainer.optimizer, trainer.all_metrics()[1:])
    return trainer


def make_checkpoint(
    backend: str, directory: str, model: keras.Model, trainer: Any, strategy: Any, distributed: bool
) -> Any:
    if backend == "tensorflow":
        from kerasguide.training._tf_checkpoint import TrainingCheckpoint

        return TrainingCheckpoint(
            directory, model, trainer.optimizer, strategy=strategy if distributed else None
        )
    from kerasguide.training._npz_checkpoint import NpzCheckpoint

    return NpzCheckpoint(directory, model, trainer.optimizer)
