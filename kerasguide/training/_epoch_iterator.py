"""한 에포크의 데이터를 컴파일된 호출 단위로 자르기: 케라스의 ``EpochIterator``.

``Model.fit`` 에서는 ``keras/src/trainers/epoch_iterator.py`` 가 스텝을 맡는다. 컴파일된
함수의 호출마다 ``(begin, end, batches)``, 곧 그 호출의 첫 스텝과 마지막 스텝 번호(콜백은
``begin .. begin + steps_per_execution - 1`` 을 받는다)와 그 호출이 읽을 것을 내놓는다.
:class:`EpochIterator` 는 배열과 다른 모든 입력에 같은 일을 한다. 훈련기는 내놓은 것을
실행하고, 에포크 반복(:mod:`kerasguide.training._epochs`)이 그 둘레에서 콜백을 부른다.
한 호출이 읽는 것은 백엔드가 데이터를 읽는 방법에 따라 셋 중 하나다.

- :class:`Chunks` (배열, 장치 하나, 두 백엔드: 빠른 길): 배열에서 모은 온전한 배치의 덩어리,
  모양 ``(steps, batch, ...)``. 짧은 마지막 배치(모양이 달라 따로 한 덩어리)는 앞 덩어리와 한
  호출에 들어가면 함께 준다. 그래야 콜백이 ``Model.fit`` 과 같은 배치 번호를 본다.
- :class:`Steps` (텐서플로의 ``tf.data`` 입력, 그리고 여러 복제본의 배열): 컴파일된 함수가
  (분산) ``tf.data`` 반복자에서 그래프 안에서 ``steps`` 개의 배치를 꺼낸다.
- :class:`Batches` (JAX 의 배열이 아닌 입력): 파이썬에서 읽은 넘파이 배치.

받은 것보다 적은 스텝을 실행한 호출은 에포크를 끝낸다(데이터가 떨어졌거나 손실이 유한하지
않다). 그러면 에포크 반복이 실행한 스텝 수를 :meth:`EpochIterator.end_epoch` 에 알린다.
``steps_per_epoch`` 가 있으면 ``Model.fit`` 처럼 입력의 반복자를 다음 에포크로 이어 쓰고,
떨어진 데이터는 다음 에포크에 처음부터 다시 읽는다(케라스의 경고와 함께).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kerasguide.training._data import ArrayData, Data

__all__ = ["Batches", "Chunks", "EpochIterator", "Steps"]


@dataclass
class Chunks:
    """배열에서 모은 덩어리들 ``[(배치 묶음, 쓸 행 수), ...]`` (한 호출 분량)."""

    chunks: list[tuple[tuple[Any, ...], int]]

    def __len__(self) -> int:
        return sum(rows for _, rows in self.chunks)


@dataclass
class Steps:
    """컴파일된 함수가 ``tf.data`` 반복자에서 직접 꺼낼 배치 ``steps`` 개.

    ``exact`` 면 그만큼의 배치가 반드시 있다(개수를 아는 데이터셋): 확인 없이 꺼낸다."""

    iterator: Any
    steps: int
    exact: bool

    def __len__(self) -> int:
        return self.steps


@dataclass
class Batches:
    """파이썬에서 읽은 넘파이 배치들 (한 호출 분량)."""

    batches: list[Any]

    def __len__(self) -> int:
        return len(self.batches)


CallBatches = Chunks | Steps | Batches

_RAN_DRY = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches. You may need to use "
    "the `.repeat()` function when building your dataset."
)


class EpochIterator:
    """``data`` 의 에포크를 컴파일된 호출 단위 ``(begin, end, batches)`` 로 자른다.

    Args:
        data: :class:`~kerasguide.training._data.ArrayData` 나
            :class:`~kerasguide.training._data.AdapterData`.
        steps_per_execution: 한 호출의 스텝 수.
        steps_per_epoch: 에포크의 스텝 수(``steps_per_epoch``/``validation_steps``). ``None``
            이면 데이터가 끝날 때까지.
        carry_over: ``steps_per_epoch`` 가 있을 때 반복자를 다음 에포크로 이어 쓸지(훈련).
            검증(``validation_steps``)은 매번 처음부터 읽는다.
        chunked: 배열을 :class:`Chunks` 로 줄지(한 장치). 아니면 배열도 ``tf.data`` 로 읽는다.
        tf_iterator: 텐서플로 훈련기가 ``tf.data`` 데이터셋의 반복자를 만드는 함수(분산이면
            분산 반복자). ``None`` 이면(JAX) 파이썬에서 넘파이 배치를 읽는다.
    """

    def __init__(
        self,
        data: Data,
        *,
        steps_per_execution: int,
        steps_per_epoch: int | None = None,
        carry_over: bool = True,
        chunked: bool,
        tf_iterator: Callable[[Any], Any] | None,
    ) -> None:
        self.data = data
        self.steps_per_execution = steps_per_execution
        self.steps_per_epoch = steps_per_epoch
        self.carry_over = carry_over and steps_per_epoch is not None
        self.chunked = chunked and isinstance(data, ArrayData)
        self._tf_iterator = tf_iterator
        self._iterator: Any = None  # carried over between epochs
        self._left: int | None = None  # batches left in the carried-over iterator
        self._wanted: int | None = None  # steps this epoch should run (None: until dry)
        self._dry = False
        self._in_epoch = False

    @property
    def steps(self) -> int | None:
        """에포크당 스텝 수 (모르면 ``None``): 콜백의 ``params["steps"]``."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return self.data.steps

    @property
    def shuffle_seed(self) -> int | None:
        return self.data.shuffle_seed

    def epoch(self, epoch: int) -> Iterator[tuple[int, int, CallBatches]]:
        """한 에포크의 호출들: ``(begin, end, batches)``."""
        spe = self.steps_per_execution
        if self.chunked:
            assert isinstance(self.data, ArrayData)
            begin, group = 0, list[tuple[tuple[Any, ...], int]]()
            for chunk in self.data.chunks(epoch, spe):
                if group and len(Chunks(group)) + chunk[1] > spe:
                    yield begin, begin + spe - 1, Chunks(group)
                    begin, group = begin + len(Chunks(group)), []
                group.append(chunk)
            if group:
                yield begin, begin + spe - 1, Chunks(group)
            return
        iterator, total = self._begin_epoch(epoch)
        begin = 0
        while total is None or begin < total:
            wanted = spe if total is None else min(spe, total - begin)
            if self._tf_iterator is not None:
                exact = total is not None and (self.data.steps is not None or self._infinite())
                yield begin, begin + spe - 1, Steps(iterator, wanted, exact)
            else:
                batches = []
                for _ in range(wanted):
                    batch = next(iterator, None)
                    if batch is None:
                        self._dry = True
                        break
                    batches.append(tuple(batch))
                if not batches:
                    return
                yield begin, begin + spe - 1, Batches(batches)
                if self._dry:
                    return
            begin += wanted

    def _infinite(self) -> bool:
        return bool(getattr(self.data, "infinite", False))

    def _new_iterator(self, epoch: int) -> Any:
        data = self.data
        if self._tf_iterator is None:
            assert not isinstance(data, ArrayData)  # arrays on JAX are always chunked
            return data.numpy_iterator()
        dataset = data.epoch_dataset(epoch) if isinstance(data, ArrayData) else data.tf_dataset()
        return self._tf_iterator(dataset)

    def _begin_epoch(self, epoch: int) -> tuple[Any, int | None]:
        """이번 에포크의 반복자와 실행할 스텝 수(``None``: 데이터가 떨어질 때까지)."""
        self._dry = False
        adapter = getattr(self.data, "adapter", None)
        if adapter is not None:
            adapter.on_epoch_begin()  # a PyDataset starts its workers
            self._in_epoch = True
        batches = self.data.steps
        if self.steps_per_epoch is None:
            self._wanted = batches
            return self._new_iterator(epoch), batches
        if not self.carry_over:  # validation_steps: read from the start every time
            self._wanted = min(self.steps_per_epoch, batches or self.steps_per_epoch)
            return self._new_iterator(epoch), self._wanted
        if self._iterator is None or self._left == 0:
            self._iterator = self._new_iterator(epoch)
            self._left = batches
        left = self._left
        self._wanted = self.steps_per_epoch if left is None else min(self.steps_per_epoch, left)
        return self._iterator, self._wanted

    def end_epoch(self, steps_run: int) -> None:
        """에포크가 실행한 스텝 수를 기록한다. 데이터가 모자랐으면 ``Model.fit`` 처럼 경고한다."""
        self.close()
        if not self.carry_over or self.steps_per_epoch is None:
            return
        ran_dry = self._dry or (self._wanted is not None and steps_run < self._wanted)
        if self._left is not None:
            self._left -= steps_run
        if ran_dry or steps_run < self.steps_per_epoch:
            self._iterator = None
            warnings.warn(_RAN_DRY, UserWarning, stacklevel=3)

    def close(self) -> None:
        """에포크 중이면 데이터에 끝을 알린다 (``PyDataset`` 의 일꾼을 멈춘다)."""
        if self._in_epoch:
            self._in_epoch = False
            self.data.adapter.on_epoch_end()  # type: ignore[union-attr]
