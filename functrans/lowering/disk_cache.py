"""Whether compiled code can go to the disk cache now, and which modules live there.

The cache directory can be unusable in many ways: the setting empty, the directory or
its parent unwritable, the path a file or below one, the directory removed or replaced
while the process runs. In each, ``jit`` keeps working: it compiles in memory, and warns
once per directory, naming it and the settings that choose another.

Only the copies of modules installed in the cache directory ask numba to cache their
machine code (:func:`caches_machine_code`); the modules of the installed package never
do, so a read-only installation needs no write access.
"""
import contextlib
import os
import tempfile
import threading
import warnings

from functrans.config import config

#: Held while a module is written, imported and registered: a thread never sees another's
#: module half-initialised in sys.modules (the cause of intermittent ImportErrors).
LOCK = threading.RLock()

#: cache directory -> why it cannot be used (each is warned about once)
_unusable = {}
#: names of the modules loaded from files in the cache directory
_file_modules = set()


class DiskCacheWarning(UserWarning):
    """The disk cache directory cannot be used; kernels are compiled in memory."""


def usable_directory():
    """The cache directory, created if need be, or None if the disk cache is off or the
    directory cannot be written (warned once)."""
    if not config.disk_cache:
        return None
    directory = config.cache_dir
    if not directory:
        _give_up(directory, "the setting is empty")
        return None
    if directory in _unusable:
        return None
    try:
        os.makedirs(directory, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=directory, suffix=".probe")
        os.close(handle)
        os.remove(probe)
    except OSError as error:
        give_up(directory, error)
        return None
    return directory


def give_up(directory, error):
    """Stop using ``directory`` for this process, with one warning saying why."""
    _give_up(directory, f"{type(error).__name__}: {error}")


def _give_up(directory, reason):
    if directory in _unusable:
        return
    _unusable[directory] = reason
    warnings.warn(
        f"functrans cannot use the disk cache directory {directory!r} ({reason}); jit keeps "
        "working, compiling in memory, but compiled kernels are not kept across processes. "
        "Point FUNCTRANS_CACHE_DIR (or functrans.config.update('cache_dir', path)) at a "
        "writable directory, or turn the disk cache off with FUNCTRANS_DISK_CACHE=0 "
        "(functrans.config.update('disk_cache', False)).", DiskCacheWarning, stacklevel=4)


def mark_file_module(name):
    _file_modules.add(name)


def caches_machine_code(module_name):
    """Whether the module ``module_name`` (its ``__name__``) asks numba to cache on disk."""
    return module_name in _file_modules


@contextlib.contextmanager
def file_lock(name):
    """Held by one process of the machine at a time: an exclusive lock on file ``name`` of
    the cache directory (a no-op where there are no POSIX file locks)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(os.path.join(config.cache_dir, name), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
