"""SIGINT and SIGTERM in the CLI: raised as `Interrupted` while documents are exported, held back while
outputs are put in place, and left alone where they are ignored (a command started in the background with
`&` ignores SIGINT: Ctrl-C at the terminal is not meant for it).

Python runs signal handlers in the main thread, between two steps of Python code; an exception a handler
raises inside a finalizer is swallowed ("Exception ignored"), so what a handler sees is also noted, and
acted on where the exception did not arrive.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM reached the CLI (a BaseException, like KeyboardInterrupt, so nothing swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.unfinished: list[str] = []  # the documents not written, as log lines name them

    @property
    def exit_status(self) -> int:
        """130 for SIGINT, 143 for SIGTERM, as a shell reports a process those signals ended."""
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    def message(self) -> str:
        """The export's last line: which documents were not written."""
        signal_name = self.signal_name
        if not self.unfinished:
            return f"interrupted by {signal_name}; every document had been written"
        shown = ", ".join(self.unfinished[:5])
        more = f" and {len(self.unfinished) - 5} more" if len(self.unfinished) > 5 else ""
        return f"interrupted by {signal_name}; not written (earlier outputs kept): {shown}{more}"


@contextmanager
def interrupts_raised() -> Iterator[None]:
    """Within the block SIGINT and SIGTERM raise `Interrupted` in the main thread. The first one wins:
    later ones are ignored from then on, so the cleanup it starts runs to the end.

    A signal ignored when the block begins stays ignored. An `Interrupted` that never left the block,
    because it was raised while a finalizer ran (see `swallowed_unreported`), is raised again as the block
    ends: the interrupt still stops the run, and the signals, ignored by then, are not left ignored by a run
    that went on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def raise_interrupted(signum: int, _frame: FrameType | None) -> None:
        caught.append(signum)
        for number in INTERRUPT_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = interrupt_handlers_set(raise_interrupted)
    try:
        with swallowed_unreported(Interrupted):
            yield
    finally:
        if not caught:
            restore_handlers(previous)
    if caught:
        raise Interrupted(caught[0])


@contextmanager
def swallowed_unreported(kind: type[BaseException]) -> Iterator[None]:
    """While the block runs, an exception of `kind` raised inside a finalizer is not reported. A signal handler
    raises where Python happens to be, and that is often a finalizer: a full garbage collection after an
    export runs many, and a Ctrl-C that came meanwhile is handled in the first. Python swallows the exception
    there and prints "Exception ignored in ..." with a traceback; the handler has noted the signal, and the
    caller acts on it, so the report would only be noise at the user's Ctrl-C."""
    reported = sys.unraisablehook

    def report(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.exc_type is None or not issubclass(unraisable.exc_type, kind):
            reported(unraisable)

    sys.unraisablehook = report
    try:
        yield
    finally:
        sys.unraisablehook = reported


SignalHandlers = dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None]


def interrupt_handlers_set(handler: Callable[[int, FrameType | None], None]) -> SignalHandlers:
    """Points SIGINT and SIGTERM at `handler`, but for one ignored now (a command started in the background with
    `&` ignores SIGINT: Ctrl-C is not meant for it); returns the handlers before, for `restore_handlers`.

    Python runs the handler of a signal that just came as a handler is changed, so this can raise what that
    handler raises; it then leaves the handlers as they were."""
    previous: SignalHandlers = {}
    try:
        for number in INTERRUPT_SIGNALS:
            before = signal.getsignal(number)
            if before is not signal.SIG_IGN:
                signal.signal(number, handler)
            previous[number] = before
    except BaseException:
        restore_handlers(previous)
        raise
    return previous


def restore_handlers(handlers: SignalHandlers) -> None:
    for number, handler in handlers.items():
        if handler is not None:  # None: a handler installed outside Python, which cannot be put back
            signal.signal(number, handler)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Holds SIGINT and SIGTERM back until the block ends, then delivers them to the handlers there were. The
    block always runs: a signal whose handler raised just as it began raises after it.

    Blocking them in this thread (`pthread_sigmask`) is not enough where other threads run (the file
    watcher's, serve's): the kernel hands the signal to one of those, and Python runs the handler in the main
    thread at once. So in the main thread the handlers are swapped for one that only notes the signal; the
    mask stays too, for what it does alone: a process forked in the block starts with the signals blocked."""
    held: list[int] = []
    raised_on_entry: BaseException | None = None
    previous_handlers: SignalHandlers = {}
    if threading.current_thread() is threading.main_thread():
        try:
            previous_handlers = interrupt_handlers_set(lambda signum, _frame: held.append(signum))
        except BaseException as error:  # Interrupted, KeyboardInterrupt: a signal that came just before
            raised_on_entry = error
            previous_handlers = interrupt_handlers_set(lambda signum, _frame: held.append(signum))
    masked = hasattr(signal, "pthread_sigmask")
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPT_SIGNALS) if masked else set()
    try:
        yield
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)  # one held in the mask is noted now
        restore_handlers(previous_handlers)
        if raised_on_entry is not None:
            raise raised_on_entry
        if held:
            signal.raise_signal(held[0])
