"""Compiling a kernel in a separate process, so the caller's interpreted calls keep a core.

jit's background tier (functrans.transforms.jit) hands a new kernel to this module when the
disk cache is usable: a child process (``python -m functrans.lowering.compile_process``)
compiles the kernel module already written to the cache directory, for the argument types
of the first call, and stores numba's machine code there. The parent's compile thread waits
on a pipe, without the GIL, and then loads the kernel from the disk cache (half a second).

Why a process and not the compile thread alone: numba's type inference holds the GIL, so a
thread compiling beside an interpreted training loop slowed every step of it 3-4 times; a
child leaves the loop the GIL (it still shares the cores with the loop's BLAS threads,
which is why jit compiles only kernels whose calls have shown they will pay:
``config.compile_after``). The child outlives the caller if it must: a script that ends
before its kernel is ready still leaves the kernel in the disk cache for its next run.

The child compiles only the kernel (and the support functions it calls, once per machine):
any other work beside the caller would take a core from its BLAS and numba threads.
"""
import os
import pickle
import subprocess
import sys

from functrans.config import config
from functrans.lowering import disk_cache

READY = b"ready\n"


def usable():
    """Whether background compiles go to a child process: the option is on and the kernel's
    machine code can travel through the disk cache."""
    return bool(config.compile_process) and disk_cache.usable_directory() is not None


def compile_elsewhere(module_name, function_name, argument_types):
    """Have a child process compile ``function_name`` of the kernel module ``module_name``
    (installed in the cache directory) for numba ``argument_types``, into the disk cache.

    Returns once the child said the kernel is cached: True; False if it failed (the caller
    then compiles in this process, which raises the error with its full message).
    """
    import functrans
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(functrans.__file__)))
    environment = dict(os.environ, FUNCTRANS_CACHE_DIR=config.cache_dir,
                       FUNCTRANS_BACKGROUND_COMPILE="0",
                       PYTHONPATH=os.pathsep.join(
                           [package_parent, *filter(None, [os.environ.get("PYTHONPATH")])]))
    request = pickle.dumps({"module": module_name, "function": function_name,
                            "types": tuple(argument_types)})
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "functrans.lowering.compile_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=environment, start_new_session=True)
    except OSError:
        return False
    with child.stdin, child.stdout:
        try:
            child.stdin.write(request)
        except BrokenPipeError:
            return False
        child.stdin.close()
        answer = child.stdout.readline()
    if answer != READY:
        child.wait()
        return False
    return True


def _serve():
    """The child: compile the requested kernel into the disk cache and say so. One child at
    a time per kernel on a machine (a file lock): a second finds the kernel cached."""
    request = pickle.loads(sys.stdin.buffer.read())
    from functrans.lowering import compile as compiling
    compiling._numba()
    for name in compiling.SUPPORT_MODULES:
        compiling.support_module(name)
    directory = disk_cache.usable_directory()
    stem = request["module"].removeprefix("functrans_")
    with disk_cache.file_lock(f"{stem}.lock"):
        with open(os.path.join(directory, f"{stem}.py")) as file:
            text = file.read()
        with disk_cache.LOCK:
            module = compiling._load_module(text, request["module"])
        getattr(module, request["function"]).compile(request["types"])
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()


if __name__ == "__main__":
    _serve()
