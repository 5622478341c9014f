"""Configuration in one place.

Every option has a default, an environment variable that overrides it at
import, and can be changed at run time::

    functrans.config.update("debug_nans", True)
    with functrans.config.override(debug_nans=True):
        ...
"""
import contextlib
import os


def _env_flag(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _env_seconds(name, default):
    value = os.environ.get(name)
    return default if value is None or not value.strip() else float(value)


def _default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "functrans")


class Config:
    """The options; see the module docstring."""

    _OPTIONS = {
        # name: (environment variable, how to read it, default)
        "debug_nans": ("FUNCTRANS_DEBUG_NANS", _env_flag, False),
        "log_compiles": ("FUNCTRANS_LOG_COMPILES", _env_flag, False),
        "cache_dir": ("FUNCTRANS_CACHE_DIR", lambda name, default: os.environ.get(name, default), None),
        "disk_cache": ("FUNCTRANS_DISK_CACHE", _env_flag, True),
        # jit: on a cache miss, run on the NumPy interpreter while numba compiles in the
        # background (True), or wait for the kernel (False: bitwise reproducible, benchmarks)
        "background_compile": ("FUNCTRANS_BACKGROUND_COMPILE", _env_flag, True),
        # ... and numba runs in a child process (True) when the disk cache can carry the
        # kernel back, so interpreted calls keep their speed; or on a thread (False)
        "compile_process": ("FUNCTRANS_COMPILE_PROCESS", _env_flag, True),
        # ... once the interpreted calls of a kernel not yet cached have taken this many
        # seconds (0: at the first call)
        "compile_after": ("FUNCTRANS_COMPILE_AFTER", _env_seconds, 1.0),
        # Keep memory freed by jitted steps in the process (glibc's malloc thresholds, set
        # at the first jit compile; see functrans.lowering.freed_memory)
        "retain_freed_memory": ("FUNCTRANS_RETAIN_FREED_MEMORY", _env_flag, True),
        # Kernels check every array index (numba's boundscheck): for debugging, slower.
        "jit_boundscheck": ("FUNCTRANS_JIT_BOUNDSCHECK", _env_flag, False),
    }

    def __init__(self):
        object.__setattr__(self, "_watchers", {})
        for option, (variable, read, default) in self._OPTIONS.items():
            if option == "cache_dir":
                default = _default_cache_dir()
            object.__setattr__(self, option, read(variable, default))

    def update(self, name, value):
        """Set option ``name`` to ``value``."""
        if name not in self._OPTIONS:
            raise AttributeError(
                f"functrans.config has no option {name!r}; the options are "
                f"{', '.join(sorted(self._OPTIONS))}"
            )
        object.__setattr__(self, name, value)
        for watcher in self._watchers.get(name, ()):
            watcher(value)

    def watch(self, name, watcher):
        """Call ``watcher(value)`` now and whenever option ``name`` changes."""
        self._watchers.setdefault(name, []).append(watcher)
        watcher(getattr(self, name))

    def __setattr__(self, name, value):
        self.update(name, value)

    @contextlib.contextmanager
    def override(self, **options):
        """Set options for the duration of a ``with`` block."""
        saved = {name: getattr(self, name) for name in options}
        for name, value in options.items():
            self.update(name, value)
        try:
            yield self
        finally:
            for name, value in saved.items():
                self.update(name, value)

    def __repr__(self):
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._OPTIONS)
        return f"functrans.config({values})"


config = Config()
