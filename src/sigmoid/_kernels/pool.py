"""Worker threads that wait for work in compiled code: a hand-off in about a microsecond.

A thread woken from sleep on these VMs takes 20-80 µs to run (a futex wake
of an idle virtual CPU), which is why `sigmoid._engine` could split only
arrays of ~110 µs of work or more. OpenMP's and XLA's pools spin for a while
after each call instead; so do these workers. Each runs `serve` without the
GIL: it watches its mailbox, runs the task posted there (the same slice
task the XLA FFI handler puts on XLA's pool, `loops._ffi_task_source`: it
claims slices of the array by an atomic counter until none is left), and
after `SPINS` idle turns returns to Python to sleep until the next post.

A call (`lead`, also without the GIL) posts the task to every worker, takes
slices itself, then withdraws each post no worker took (compare-and-swap), so
a worker that is asleep or late is never waited for; it waits only for the
workers that took the task to leave it. The state is a NumPy array owned by
the caller, alive until `lead` returns; its reference count starts too high
for the task's release ever to free it.
"""

from __future__ import annotations

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from . import CACHE
from . import xla_ffi as X

__all__ = ["ASLEEP", "JOB", "MAILBOX_WORDS", "lead", "post", "serve"]

# A mailbox's int64 words (each worker's own, 64 bytes apart: no shared cache line).
JOB, TASK, FINISHED, ASLEEP = 0, 1, 2, 3
MAILBOX_WORDS = 8
#: Idle turns (each a sched_yield) before a worker goes to sleep: ~1-2 ms.
SPINS = 5000


@intrinsic
def _store(typingctx, address, value):  # type: ignore[no-untyped-def]
    """Store the int64 `value` at `address` atomically (sequentially consistent)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        pointer = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        builder.store_atomic(args[1], pointer, "seq_cst", 8)
        return context.get_dummy_value()

    return types.none(types.int64, types.int64), codegen


@intrinsic
def _take(typingctx, address, expected):  # type: ignore[no-untyped-def]
    """Set the int64 at `address` to 0 if it is `expected` (compare-and-swap): whether it was."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        pointer = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        zero = ir.Constant(ir.IntType(64), 0)
        pair = builder.cmpxchg(pointer, args[1], zero, "seq_cst", "seq_cst")
        return builder.extract_value(pair, 1)

    return types.boolean(types.int64, types.int64), codegen


@intrinsic
def _run_task(typingctx, task, state):  # type: ignore[no-untyped-def]
    """Call the C function ``void task(void* state)`` at address `task`."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i8p = ir.IntType(8).as_pointer()
        function_type = ir.FunctionType(ir.VoidType(), [i8p])
        function = builder.inttoptr(args[0], function_type.as_pointer())
        builder.call(function, [builder.inttoptr(args[1], i8p)])
        return context.get_dummy_value()

    return types.none(types.int64, types.int64), codegen


_compile = numba.njit(error_model="numpy", nogil=True, cache=CACHE)


@_compile
def serve(mailbox):  # type: ignore[no-untyped-def]
    """A worker's turn: run what is posted to its mailbox until SPINS idle turns pass.

    Before returning it marks itself asleep, then looks once more, so that a
    post made meanwhile is either taken here or sees the mark (and wakes it).
    """
    idle = 0
    while True:
        job = X._atomic_load(mailbox + 8 * JOB)
        if job != 0 and _take(mailbox + 8 * JOB, job):
            _run_task(X._atomic_load(mailbox + 8 * TASK), job)
            _store(mailbox + 8 * FINISHED, job)
            idle = 0
        elif idle < SPINS:
            idle += 1
            X._yield()
        else:
            _store(mailbox + 8 * ASLEEP, 1)
            if X._atomic_load(mailbox + 8 * JOB) == 0:
                return
            _store(mailbox + 8 * ASLEEP, 0)
            idle = 0


@_compile
def post(mailboxes, count, task, state):  # type: ignore[no-untyped-def]
    """Post the task to `count` mailboxes (at address `mailboxes`); a bit set for each asleep."""
    asleep = 0
    for w in range(count):
        mailbox = mailboxes + 8 * MAILBOX_WORDS * w
        _store(mailbox + 8 * FINISHED, 0)
        _store(mailbox + 8 * TASK, task)
        _store(mailbox + 8 * JOB, state)
        asleep |= X._atomic_load(mailbox + 8 * ASLEEP) << w
    return asleep


@_compile
def lead(mailboxes, count, task, state):  # type: ignore[no-untyped-def]
    """Take slices on this thread, withdraw the posts no worker took, wait for those taken."""
    _run_task(task, state)
    for w in range(count):
        mailbox = mailboxes + 8 * MAILBOX_WORDS * w
        if not _take(mailbox + 8 * JOB, state):  # taken: wait until that worker leaves the task
            while X._atomic_load(mailbox + 8 * FINISHED) != state:
                X._yield()
