"""Turning a failed task back into the user's own exception, on the client."""
from functrans.distributed.cluster import direct
from functrans.distributed.worker import WorkerError

__all__ = ["gather", "reraise"]


def reraise(error, caller):
    """Raise the exception inside ``error`` (a WorkerError) with the worker's traceback of
    the user's frames as a note, and none of Dask's frames."""
    original, where, text = error.args
    message = f"{caller}: raised on a Dask worker ({where}); the function's traceback there:\n{text}"
    if hasattr(original, "add_note"):
        original.add_note(message)
        raise original.with_traceback(None) from None
    raise RuntimeError(f"{message}") from None


def gather(current, futures, caller):
    """``current.gather(futures)`` (straight from the workers unless the client says
    otherwise), re-raising a failed task as the user's exception."""
    try:
        return current.gather(futures, direct=direct(current))
    except WorkerError as error:
        reraise(error, caller)

