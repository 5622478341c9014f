"""jit: trace once per abstract signature, optimise the IR, lower it to numba, call machine code.

Called on concrete arrays, a jitted function looks up its compiled kernel by the arguments'
pytree structure, shapes, dtypes and static values (one flatten and one dictionary look-up;
for a pytree of many arrays, a comparison of their shapes and dtypes with the latest
signatures of its structure) and calls it. Called under another transform, it binds the
``jit_call`` primitive holding its IR, so ``grad(jit(f))`` and ``vmap(jit(f))`` transform the
IR and compile the result.

Execution is tiered: a new signature is traced and optimised, and its calls run the
optimised IR on the NumPy interpreter at once. A kernel whose machine code is cached (in
this process or on disk) is loaded in the background; one that must be compiled is compiled
once its interpreted calls have taken ``config.compile_after`` seconds (a short loop is
over before a compile would pay), in a child process that leaves it in the disk cache
(functrans.lowering.compile_process), or on a background thread when there is no usable
disk cache or ``config.compile_process`` is off; calls switch to the kernel when it is
ready. Results differ between the tiers by rounding at most. ``config.background_compile
= False`` (``FUNCTRANS_BACKGROUND_COMPILE=0``) compiles before the first call instead: every
call then runs the kernel, bitwise reproducibly.

A function over a pytree of many leaves computed alike gets a kernel over packed leaves
(functrans.lowering.leaf_batching): one parameter and one loop nest per distinct per-leaf
computation, so compile time does not grow with the number of leaves.
"""
import functools
import inspect
import keyword
import logging
import operator
import re
import sys
import threading
import time
import warnings

import numpy as np

from functrans import core, tree
from functrans.config import config
from functrans.errors import at_user_line
from functrans.lowering import freed_memory, rules as lowering_rules
from functrans.tracing import trace_to_ir
from functrans.transforms import ad, vmap
from functrans.transforms.partial_eval import partial_eval_ir, partial_eval_rules
from functrans.validation import INT64_MAX as _INT64_MAX, INT64_MIN as _INT64_MIN
from functrans.validation import array_leaf, check_compilable_dtypes, check_python_int

logger = logging.getLogger("functrans.jit")

jit_call_p = core.Primitive("jit_call", multiple_results=True)
jit_call_p.def_abstract_eval(lambda *avals, call, name: call.out_avals)


# --- compiled IRs: two tiers ---------------------------------------------------------

class KernelCompileWarning(RuntimeWarning):
    """A jitted function's numba kernel failed to compile; its calls run on the interpreter."""


class CompiledIR:
    """An IR with its two tiers: the NumPy interpreter, and its numba kernel.

    The optimised IR runs on the interpreter (each primitive's NumPy implementation) until
    the kernel is ready. With ``config.background_compile`` off, :meth:`build` compiles
    the kernel before the first call. Otherwise the compile thread
    (functrans.lowering.background) loads it at once if its machine code is cached, and
    compiles it once its interpreted calls have taken ``config.compile_after`` seconds
    (:meth:`_build_if_worth_it`), in a child process when the disk cache can bring the
    result back (functrans.lowering.compile_process). When it is ready, the callbacks
    registered with :meth:`when_ready` run (jit's cache switches to the kernel's runner). A
    kernel that fails to compile leaves the interpreter in place and is announced by one
    KernelCompileWarning.
    """

    def __init__(self, ir, name):
        from functrans.lowering.codegen import check_rules
        from functrans.lowering.leaf_batching import batch_leaves
        from functrans.lowering.optimize import optimize
        self.ir = ir
        self.name = name
        self.optimized_ir = optimize(ir)
        check_rules(self.optimized_ir)
        # Many leaves computed alike: the kernel runs each computation once over packed
        # leaves (functrans.lowering.leaf_batching); self.packing converts the arguments.
        packed = batch_leaves(self.optimized_ir)
        self.kernel_ir, self.packing = packed if packed is not None else (self.optimized_ir, None)
        self.scalar_inputs = [i for i, aval in enumerate(self.kernel_ir.in_avals)
                              if not aval.shape]
        self.out_types = [aval.dtype.type if not aval.shape else None
                          for aval in self.kernel_ir.out_avals]
        self.scalar_outputs = any(t is not None for t in self.out_types)
        self.convert_outputs = _output_converter(self.out_types)
        self.functions = self.dispatcher = self.key = self.failure = None
        self._source = None
        #: True once the kernel is ready (set last, after the dispatcher)
        self.compiled = False
        self.from_disk = False
        #: seconds numba took (compiling, or loading from the disk cache)
        self.compile_seconds = None
        #: time.perf_counter() when the kernel became ready
        self.ready_at = None
        self._lock = threading.RLock()
        self._done = threading.Event()
        #: "new", "probing" (the compile thread decides), "cold" (not worth a compile
        #: yet), "building" (asked for, or built)
        self._stage = "new"
        self._forced = False
        #: seconds this IR's calls have run on the interpreter
        self.interpreted_seconds = 0.0
        #: whether the background compile runs numba in a child process
        self.compiles_in_process = False
        self._warned = False
        self._on_ready = []

    @property
    def source(self):
        """The generated module's source."""
        return self._generate()

    def _generate(self):
        if self._source is None:
            from functrans.lowering.codegen import generate_functions
            from functrans.lowering.compile import module_source
            self.functions = generate_functions(self.kernel_ir, _identifier(self.name))
            self._source = module_source(self.functions, cache=config.disk_cache)
        return self._source

    def __call__(self, *args):
        if self.compiled:
            return self._run_packed(args)
        if not config.background_compile:
            self.build(args)
            return self._run_packed(args)
        started = time.perf_counter()
        outputs = self.interpret(args)
        self.interpreted_seconds += time.perf_counter() - started
        self.request(args)
        return outputs

    def _kernel_arguments(self, args):
        return args if self.packing is None else self.packing.pack(args)

    def _run_packed(self, args):
        if self.packing is None:
            return self._run_kernel(args)
        return self.packing.unpack(self._run_kernel(self.packing.pack(args)))

    def _run_kernel(self, args):
        if self.scalar_inputs:
            args = self._scalars_in(args)
        return self.convert_outputs(self.dispatcher(*args))

    def interpret(self, args):
        """The outputs of the optimised IR on ``args``, evaluated by NumPy, as the kernel
        gives them: arrays of the output types, NumPy scalars for 0-d outputs."""
        if self.packing is None:
            return self._interpret(args)
        return self.packing.unpack(self._interpret(self.packing.pack(args)))

    def _interpret(self, args):
        from functrans.ir import eval_ir
        values = eval_ir(self.kernel_ir, *args)
        inputs = {id(a) for a in args}
        outputs = []
        for value, aval in zip(values, self.kernel_ir.out_avals):
            if not aval.shape:
                outputs.append(aval.dtype.type(value))
            else:
                value = np.asarray(value, dtype=aval.dtype)
                # A view of an input or a read-only broadcast: the kernel returns a fresh array.
                outputs.append(value if value.flags.writeable and value.base is None
                               and id(value) not in inputs else value.copy())
        return outputs

    def request(self, args):
        """After an interpreted call: have the kernel built on the compile thread when that
        is worth it (see :meth:`_build_if_worth_it`); warn here, once, if its compile
        failed."""
        with self._lock:
            if self._stage == "building":
                if self.failure is not None and not self._warned:
                    self._warn()
                return
            if self._stage == "probing" or (
                    self._stage == "cold" and self.interpreted_seconds < config.compile_after):
                return
            self._stage = "probing"
        from functrans.lowering import background
        background.submit(functools.partial(self._build_if_worth_it,
                                            self._kernel_arguments(args)))

    def _build_if_worth_it(self, args):
        """On the compile thread, with ``args`` packed: build the kernel now if that is cheap
        (its machine code is in this process or in the disk cache), if its interpreted calls
        have taken ``config.compile_after`` seconds, or if a caller waits for it; else leave
        it cold until a later call finds it hot.

        A compile costs seconds of a core; a loop of a few hundred short steps is over on
        the interpreter before the kernel would be ready, so the kernel is compiled only for
        work that has shown it will pay (the ski-rental rule: interpret until the time spent
        interpreting reaches what a compile costs, then compile).
        """
        from functrans.lowering.compile import cached_on_disk
        try:
            dispatcher, key, types = self._kernel_and_types(args)
            cached = types in dispatcher.signatures or cached_on_disk(key)
        except Exception:  # the build below raises it again, where it is reported
            cached = True
        with self._lock:
            if not (cached or self._forced or self.interpreted_seconds >= config.compile_after):
                self._stage = "cold"
                return
            self._stage = "building"
        from functrans.lowering import compile_process
        self.compiles_in_process = compile_process.usable()
        try:
            if self.compiles_in_process and not cached:
                compile_process.compile_elsewhere(f"functrans_kernel_{key}",
                                                  self.functions[-1][0], types)
            elif not self.compiles_in_process:
                _precompile_support_code_once()
            self._build(args)
        except Exception as error:  # kept, announced at the next call; compile() raises it
            self.failure = error
            logger.warning("functrans.jit: the kernel of %s failed to compile: %s",
                           self.name, self.failure_reason())
        finally:
            self._done.set()

    def _kernel_and_types(self, args):
        """``(dispatcher, key, argument types)``: the kernel's module loaded (not compiled),
        and the numba types of ``args`` it is compiled for."""
        from functrans.lowering.compile import _numba, compile_module
        with self._lock:
            self._generate()
            dispatcher, key = compile_module(self.functions)
        if self.scalar_inputs:
            args = self._scalars_in(args)
        typeof = _numba().typeof
        return dispatcher, key, tuple(typeof(arg) for arg in args)

    def build(self, args):
        """Generate, load and compile the kernel for the types of ``args`` (once; an
        earlier failure is raised again)."""
        self._build(self._kernel_arguments(args))

    def _build(self, args):
        with self._lock:
            if self.compiled:
                return
            if self.failure is not None:
                raise self.failure
            from functrans.lowering.compile import compile_for, compile_module, \
                discard_and_recompile
            self._generate()
            started = time.perf_counter()
            self.dispatcher, self.key = compile_module(self.functions)
            if self.scalar_inputs:
                args = self._scalars_in(args)
            try:
                compile_for(self.dispatcher, args)
            except Exception:
                if not config.disk_cache:
                    raise
                # A cache entry that cannot be loaded (corrupt, or from another setup) is
                # rebuilt, never trusted; a genuine error recurs and is raised from here.
                self.dispatcher = discard_and_recompile(self.functions, self.key)
                compile_for(self.dispatcher, args)
            self.from_disk = sum(self.dispatcher.stats.cache_hits.values()) > 0
            self.ready_at = time.perf_counter()
            self.compile_seconds = self.ready_at - started
            self.compiled = True
            callbacks, self._on_ready = self._on_ready, []
        for callback in callbacks:
            callback()
        self._done.set()

    def when_ready(self, callback):
        """Call ``callback()`` when the kernel is ready (now, if it is)."""
        with self._lock:
            if not self.compiled:
                self._on_ready.append(callback)
                return
        callback()

    def wait(self, args):
        """Block until the kernel is ready (compiling it here if nobody asked for it yet);
        raise its compile error if it failed."""
        with self._lock:
            build_here = self._stage in ("new", "cold")
            if build_here:
                self._stage = "building"
            self._forced = True  # a build the compile thread is deciding on goes ahead
        if build_here:
            try:
                self.build(args)
            except Exception as error:  # raised here; later calls warn once (request)
                self.failure = error
                self._done.set()
                raise
        self._done.wait()
        if self.failure is not None:
            raise self.failure

    def failure_reason(self):
        """The compile error, with the primitives whose generated code numba rejected."""
        from functrans.lowering.codegen import primitives_at_line
        text = str(self.failure).strip()
        where = None
        if self._source is not None:
            line = _failing_line(text, self._source)
            where = line and primitives_at_line(self._source, line)
        # numba's first line names its pipeline stage; the line after it says what failed.
        lines = [line.strip() for line in text.splitlines() if line.strip() and not
                 line.startswith(("Failed in ", "During: "))]
        reason = f"{type(self.failure).__name__}: {lines[0] if lines else text}"
        return f"in the code of primitives {where}: {reason}" if where else reason

    def _warn(self):
        with self._lock:
            if self._warned:
                return
            self._warned = True
        warnings.warn(
            f"functrans.jit: the numba kernel of {self.name} failed to compile "
            f"({self.failure_reason()}); its calls keep running on the NumPy interpreter "
            "(same results, slower). With functrans.config.background_compile = False the "
            "error is raised instead.", KernelCompileWarning, stacklevel=4)

    def runner(self, consts, out_tree, leaf_keys):
        """A call of this kernel specialised to one signature: the jit cache's entry."""
        if self.packing is not None:
            packing, run = self.packing, self._run_kernel
            # The runner's leaves have the signature's shapes and dtypes (jit checked them).
            if consts:
                return lambda leaves: tree.unflatten(
                    out_tree, packing.unpack(run(packing.pack_checked([*consts, *leaves]))))
            return lambda leaves: tree.unflatten(
                out_tree, packing.unpack(run(packing.pack_checked(leaves))))
        dispatcher, convert = self.dispatcher, self.convert_outputs
        array_scalars = {i - len(consts) for i in self.scalar_inputs
                         if i >= len(consts) and type(leaf_keys[i - len(consts)]) is tuple
                         and len(leaf_keys[i - len(consts)]) == 2}
        if array_scalars or any(i < len(consts) for i in self.scalar_inputs):
            return lambda leaves: tree.unflatten(out_tree, self(*consts, *leaves))
        if out_tree == _SINGLE_LEAF:
            if consts:
                return lambda leaves: convert(dispatcher(*consts, *leaves))[0]
            return lambda leaves: convert(dispatcher(*leaves))[0]
        return lambda leaves: tree.unflatten(out_tree, convert(dispatcher(*consts, *leaves)))

    def _scalars_in(self, args):
        # The kernel takes 0-d values as scalars; NumPy scalars and Python numbers already are.
        converted = None
        for i in self.scalar_inputs:
            if type(args[i]) is np.ndarray:
                if converted is None:
                    converted = list(args)
                converted[i] = args[i][()]
        return args if converted is None else converted


@functools.cache
def _precompile_support_code_once():
    """The first background compile also has the compile thread, when it has no kernel to
    compile, build the support code every kernel links (once per cache directory)."""
    from functrans import precompile
    precompile.precompile_when_idle()


def _failing_line(error_text, source):
    """The line (1-based) of generated ``source`` that numba's ``error_text`` points at: the
    line it names, or else the first line of the generated functions holding a name the
    error quotes (numba's NameError has no location). None if neither is found."""
    located = re.search(r"kernel_[0-9a-f]+(?:\.py)?>?\", line (\d+)", error_text)
    if located:
        return int(located.group(1))
    lines = source.split("\n")
    first = next((n for n, line in enumerate(lines) if line.startswith("def ")), len(lines))
    for quoted in re.findall(r"'([A-Za-z_][A-Za-z0-9_.]*)'", error_text):
        for number in range(first, len(lines)):
            if re.search(rf"\b{re.escape(quoted)}\b", lines[number]):
                return number + 1
    return None

def _output_converter(out_types):
    """Outputs as NumPy values: numba returns 0-d results as Python numbers."""
    scalars = [(i, t) for i, t in enumerate(out_types) if t is not None]
    if not scalars:
        return lambda outputs: outputs
    if len(out_types) == 1:
        (_, scalar_type), = scalars
        return lambda outputs: (scalar_type(outputs[0]),)

    def convert(outputs):
        outputs = list(outputs)
        for i, scalar_type in scalars:
            outputs[i] = scalar_type(outputs[i])
        return outputs
    return convert


def _identifier(name):
    """A Python function name for the generated kernel of a function called ``name``.

    Always ``kernel_`` and ASCII letters, digits and underscores: no user name (``matmul``,
    ``np``, ``range``, ``sin_f64``, ``f²``, None) can be a keyword or collide with a name
    of the generated module (its imports, support functions, sub-functions ``stem_N`` and
    the IR's variables, which are letters only).
    """
    text = name if isinstance(name, str) else ""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in text)
    identifier = f"kernel_{cleaned.strip('_') or 'function'}"
    assert identifier.isidentifier() and not keyword.iskeyword(identifier)
    return identifier


#: id of an IR -> its compiled form (IRs made by jit for a signature live as long as it does)
_compiled_irs = {}


_compiled_irs_lock = threading.Lock()


def compiled(ir, name):
    """The CompiledIR of ``ir`` (one per IR, whichever thread asks first makes it)."""
    entry = _compiled_irs.get(id(ir))
    if entry is None or entry.ir is not ir:
        with _compiled_irs_lock:
            entry = _compiled_irs.get(id(ir))
            if entry is None or entry.ir is not ir:
                check_compilable_dtypes(ir, name)
                entry = _compiled_irs[id(ir)] = CompiledIR(ir, name)
    return entry


@jit_call_p.def_impl
def _jit_call_impl(*args, call, name):
    return compiled(call, name)(*args)


# --- jit_call under the other transforms --------------------------------------------

def _jit_call_partial_eval(trace, args, params):
    call, name = params["call"], params["name"]
    unknown_inputs = [trace.is_unknown(x) for x in args]
    known_ir, known_consts, unknown_ir, unknown_outputs, residual_count = partial_eval_ir(
        call, unknown_inputs)
    known_args = [x for x, unknown in zip(args, unknown_inputs) if not unknown]
    known_results = trace.run_under_parent(jit_call_p.bind, *known_consts, *known_args,
                                           call=known_ir, name=f"known_{name}")
    known_count = len(known_results) - residual_count
    known_outputs, residuals = known_results[:known_count], known_results[known_count:]
    unknown_args = [x for x, unknown in zip(args, unknown_inputs) if unknown]
    unknown_results = iter(trace.stage(jit_call_p, residuals + unknown_args,
                                       {"call": unknown_ir, "name": f"unknown_{name}"}))
    known_outputs = iter(known_outputs)
    return [next(unknown_results) if unknown else next(known_outputs) for unknown in unknown_outputs]


ad.defcall(jit_call_p)
partial_eval_rules[jit_call_p] = _jit_call_partial_eval
vmap.defcall(jit_call_p)
lowering_rules.INLINED.add(jit_call_p)


# --- the user-facing function ------------------------------------------------------------

def _plain_leaf_key(x):
    """A leaf's part of the compile-cache key: shape and dtype (a NumPy scalar is keyed like
    the 0-d array it stands for), or the type of a Python number (weakly typed); TypeError
    for anything else (a pytree node)."""
    kind = type(x)
    if kind is np.ndarray:
        return (x.shape, x.dtype)
    if kind in core.PYTHON_SCALAR_TYPES:
        if kind is int and not _INT64_MIN <= x <= _INT64_MAX:
            raise TypeError  # the slow path names the argument in an OverflowError
        return kind
    if isinstance(x, np.generic):
        return (x.shape, x.dtype)
    raise TypeError


_SHAPE_AND_DTYPE = operator.attrgetter("shape", "dtype")
_SHAPE = operator.attrgetter("shape")
_DTYPE = operator.attrgetter("dtype")

#: how many signatures of one pytree structure _array_runner compares a call with
_ARRAY_RUNNERS_KEPT = 4
#: calls with fewer leaves look their signature key up: below ~12 leaves that is quicker
_MANY_LEAVES = 16


def _arrays_only(leaves):
    """Whether every leaf is a NumPy array (not a subclass) or a NumPy scalar."""
    return all(kind is np.ndarray or issubclass(kind, np.generic)
               for kind in set(map(type, leaves)))


def _array_runner(candidates, leaves):
    """The runner among ``candidates`` (``(shapes, dtypes, runner)``) whose shapes and
    dtypes are those of ``leaves``, or None.

    The cached call of a pytree of many arrays: comparing the leaves' shapes and dtypes
    with a signature's, at C level, costs half of building and hashing the signature key
    (the pytree structure, compared by the look-up of ``candidates``, holds the number of
    leaves). Any leaf that is not a plain array or NumPy scalar (a Python number, a
    subclass, an object), or any differing shape or dtype, gives None: the call then takes
    the general look-up, which traces and compiles a new signature if needed.
    """
    if not _arrays_only(leaves):
        return None
    dtypes = list(map(_DTYPE, leaves))
    for known_shapes, known_dtypes, run in candidates:
        # Each shape is compared and dropped at once: 10,000 shape tuples alive together
        # would set off the garbage collector several times per call.
        if known_dtypes == dtypes and all(map(operator.eq, map(_SHAPE, leaves), known_shapes)):
            return run
    return None


def _plain_leaf_keys(leaves):
    """``tuple(map(_plain_leaf_key, leaves))``, at C speed when every leaf is a NumPy array
    or scalar (a call with a pytree of 10,000 leaves computes this every time)."""
    if _arrays_only(leaves):
        return tuple(map(_SHAPE_AND_DTYPE, leaves))
    return tuple(map(_plain_leaf_key, leaves))


_SINGLE_LEAF = tree.structure(0)


class Lowered:
    """What runs for one signature: the traced IR, the optimised IR and the generated source.

    ``compile()`` waits for the numba kernel (compiling it now if no call asked for it):
    after it, calls with this signature run the kernel.

    >>> import numpy as np, functrans.numpy as fnp
    >>> f = jit(lambda x: fnp.sin(x) * 2.0)
    >>> compiled = f.lower(np.zeros(3)).compile()
    >>> compiled(np.zeros(3)).tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(self, compiled_ir, function, arguments):
        self.ir = compiled_ir.ir
        self.optimized_ir = compiled_ir.optimized_ir
        #: what the kernel computes: optimized_ir, or it rewritten over packed leaves
        self.kernel_ir = compiled_ir.kernel_ir
        self._compiled_ir = compiled_ir
        self._function = function
        self._arguments = arguments

    @property
    def source(self):
        return self._compiled_ir.source

    def as_text(self):
        return self.source

    def compile(self):
        """Wait until the kernel is ready (raise its compile error if it failed); ``self``."""
        self._compiled_ir.wait(self._arguments)
        return self

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)


class JittedFunction:
    """A function compiled per abstract signature; see :func:`jit`."""

    @property
    def compile_count(self):
        """How many times this function was compiled (once per new signature)."""
        return len(self.kernels)

    def __init__(self, function, static_argnums, static_argnames):
        functools.update_wrapper(self, function)
        # functools.partial objects and other callables have no __name__ of their own.
        name = getattr(function, "__name__", None)
        self.__name__ = name if isinstance(name, str) else type(function).__name__
        self._function = function
        self._static_argnums = tuple(static_argnums)
        self._static_argnames = tuple(static_argnames)
        self._has_static = bool(self._static_argnums or self._static_argnames)
        try:
            self._parameters = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            self._parameters = []
        self._entries = {}  # signature key -> runner(leaves) -> outputs
        self._flat_runners = {}  # leaf keys, for calls whose arguments are all leaves -> runner
        #: pytree structure -> [(shapes, dtypes, runner)], the latest signature first, for
        #: calls whose leaves are all NumPy arrays or scalars (see _array_runner)
        self._array_runners = {}
        self._traced = {}  # signature key -> (ir, consts, out_tree)
        self._signatures = []
        #: the compiled kernels, one per signature, in the order they were compiled
        self.kernels = []
        self._lock = threading.RLock()  # one trace and one kernel per signature

    def __reduce__(self):
        """Pickled as the function and its static settings, at any time: compiled state is
        dropped and rebuilt on the first call after unpickling (from the disk cache).

        A function decorated at module level (``@jit def f``) pickles by reference."""
        module = sys.modules.get(getattr(self, "__module__", None))
        qualname = getattr(self, "__qualname__", None)
        if module is not None and isinstance(qualname, str):
            found = module
            for part in qualname.split("."):
                found = getattr(found, part, None)
            if found is self:
                return qualname
        return (JittedFunction, (self._function, self._static_argnums, self._static_argnames))

    def __call__(self, *args, **kwargs):
        if not kwargs and not self._has_static and core.trace_state.trace is core.EVAL_TRACE:
            # The common call: plain arrays and numbers, keyed without flattening a pytree.
            try:
                run = self._flat_runners.get(tuple(map(_plain_leaf_key, args)))
            except TypeError:
                run = None
            if run is not None:
                return run(args)
            # Pytrees of plain leaves: one flatten, then (for many leaves) the shapes and
            # dtypes compared with the latest signatures of this structure, or one look-up
            # of the whole key (a signature in the cache was checked when it was compiled).
            leaves, treedef = tree.flatten(args)
            candidates = self._array_runners.get(treedef) if len(leaves) >= _MANY_LEAVES \
                else None
            if candidates is not None:
                run = _array_runner(candidates, leaves)
                if run is not None:
                    return run(leaves)
            try:
                key = (treedef, _plain_leaf_keys(leaves), ())
            except TypeError:
                key = None
            run = self._entries.get(key) if key is not None else None
            if run is not None:
                if candidates is not None:  # a signature the shape check had let go
                    with self._lock:
                        self._remember_arrays(key, run)
                return run(leaves)
        return self._call(args, kwargs)

    def _split(self, args, kwargs):
        count = len(args)
        static_numbers = set()
        for number in self._static_argnums:
            if not -count <= number < count:
                raise ValueError(at_user_line(
                    f"jit of {self.__name__}: static_argnums contains {number}, but the call has "
                    f"only {count} positional argument{'s' if count != 1 else ''}"))
            static_numbers.add(number % count)
        for name in self._static_argnames:
            if name in self._parameters and self._parameters.index(name) < count:
                static_numbers.add(self._parameters.index(name))
        static = {number: args[number] for number in sorted(static_numbers)}
        static_kwargs = {k: v for k, v in kwargs.items() if k in self._static_argnames}
        for label, value in [(self._describe(n), v) for n, v in static.items()] + [
                (f"keyword argument {k!r}", v) for k, v in static_kwargs.items()]:
            try:
                hash(value)
            except TypeError:
                raise ValueError(at_user_line(
                    f"jit of {self.__name__}: static {label} is unhashable "
                    f"({type(value).__name__}); static arguments are dictionary keys of the "
                    "compile cache, so they must be hashable: pass a tuple instead of a list, "
                    "or make the argument dynamic")) from None
        dynamic = tuple(a for i, a in enumerate(args) if i not in static)
        dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in static_kwargs}
        return static, static_kwargs, dynamic, dynamic_kwargs

    def _describe(self, number):
        if number < len(self._parameters):
            return f"argument {number} ({self._parameters[number]!r})"
        return f"argument {number}"

    def _signature(self, args, kwargs):
        """``(key, leaves, rebuild, static, static_kwargs)`` for a call.

        The key is what the compile cache is indexed by: the pytree structure, the
        leaves' shapes and dtypes (Python scalars by type), and the static values.
        """
        static, static_kwargs, dynamic, dynamic_kwargs = self._split(args, kwargs)
        if dynamic_kwargs:
            leaves, treedef = tree.flatten((dynamic, dynamic_kwargs))
            statics = (tuple(static.items()), tuple(sorted(static_kwargs.items())), "keywords")

            def rebuild(flat):
                return tree.unflatten(treedef, flat)
        else:
            leaves, treedef = tree.flatten(dynamic)
            statics = (tuple(static.items()), tuple(sorted(static_kwargs.items()))) \
                if static or static_kwargs else ()

            def rebuild(flat):
                return tree.unflatten(treedef, flat), {}
        leaves = self._check_leaves(leaves, dynamic, static)
        key = (treedef, tuple(map(_leaf_key_or_aval, leaves)), statics)
        return key, leaves, rebuild, static, static_kwargs

    def _call(self, args, kwargs):
        key, leaves, rebuild, static, static_kwargs = self._signature(args, kwargs)
        traced_inputs = any(isinstance(x, core.Tracer) for x in leaves)
        if core.trace_state.trace is not core.EVAL_TRACE or traced_inputs:
            ir, consts, out_tree = self._trace(key, leaves, rebuild, static, static_kwargs, len(args))
            outputs = jit_call_p.bind(*consts, *leaves, call=ir, name=self.__name__)
            return tree.unflatten(out_tree, outputs)
        run = self._entries.get(key)
        if run is None:
            flat = key[2] == () and len(leaves) == len(args) and all(
                leaf is arg for leaf, arg in zip(leaves, args))
            run = self._compile(key, leaves, rebuild, static, static_kwargs, len(args), flat)
        return run(leaves)

    def _check_leaves(self, leaves, dynamic, static):
        """``leaves`` as the kernel takes them (checked; ndarray subclasses viewed as plain
        arrays), or an error naming the argument that holds a bad one."""
        checked = list(leaves)
        for position, leaf in enumerate(leaves):
            if type(leaf) is int and not _INT64_MIN <= leaf <= _INT64_MAX:
                check_python_int(leaf, f"jit of {self.__name__}: "
                                       f"{self._owner_label(leaf, dynamic, static)}")
            # Only ndarray subclasses, other byte orders and dtypes functrans does not
            # compute with need array_leaf: a numeric NumPy scalar (an optimizer's step
            # count) passes as it is, without labelling it, which flattens every argument
            # again on each call.
            if isinstance(leaf, (np.ndarray, np.generic)) and (
                    leaf.dtype.kind not in "biufc" or not leaf.dtype.isnative or (
                        type(leaf) is not np.ndarray and not isinstance(leaf, np.generic))):
                checked[position] = array_leaf(leaf, f"jit of {self.__name__}: "
                                                     f"{self._owner_label(leaf, dynamic, static)}")
            if isinstance(leaf, (np.ndarray, np.generic, core.Tracer)) or core.is_python_scalar(leaf):
                continue
            numbers = [i for i in range(len(dynamic) + len(static)) if i not in static]
            owner = next((n for n, a in zip(numbers, dynamic)
                          if any(x is leaf for x in tree.leaves(a))), None)
            label = self._describe(owner) if owner is not None else "a keyword argument"
            hint = (f"static_argnums=({owner},)" if owner is not None else "static_argnames")
            raise TypeError(at_user_line(
                f"jit of {self.__name__}: {label} is a {type(leaf).__name__}, not an array or "
                f"a number; if it is a constant that selects what the function does, mark it "
                f"static with {hint}"))
        return checked

    def _owner_label(self, leaf, dynamic, static):
        """How an error names the argument that holds ``leaf``."""
        numbers = [i for i in range(len(dynamic) + len(static)) if i not in static]
        owner = next((n for n, a in zip(numbers, dynamic)
                      if any(x is leaf for x in tree.leaves(a))), None)
        return self._describe(owner) if owner is not None else "a keyword argument"

    def _trace(self, key, leaves, rebuild, static, static_kwargs, count):
        cached = self._traced.get(key)
        if cached is not None:
            return cached

        def with_static(*flat):
            dynamic, dynamic_kwargs = rebuild(flat)
            dynamic = iter(dynamic)
            full = [static[i] if i in static else next(dynamic) for i in range(count)]
            out_leaves, out_tree = tree.flatten(self._function(*full, **dynamic_kwargs,
                                                               **static_kwargs))
            out_trees.append(out_tree)
            return out_leaves

        out_trees = []
        ir, consts = trace_to_ir(with_static, [core.get_aval(x) for x in leaves]).hoist_consts()
        traced = (ir, _snapshot(consts), out_trees[-1])
        if not any(isinstance(c, core.Tracer) for c in consts):
            self._traced[key] = traced
        return traced

    def _compile(self, key, leaves, rebuild, static, static_kwargs, count, flat):
        """The runner of a new signature: the kernel's, or the interpreter's until the
        kernel compiled in the background is ready (then the entry is switched)."""
        with self._lock:
            run = self._entries.get(key)
            if run is not None:
                return run
            if config.retain_freed_memory:
                freed_memory.retain()
            started = time.perf_counter()
            ir, consts, out_tree = self._trace(key, leaves, rebuild, static, static_kwargs, count)
            kernel = compiled(ir, self.__name__)
            self.kernels.append(kernel)
            reason = self._reason(key)
            self._signatures.append(key)
            if kernel.compiled or not config.background_compile:
                kernel.build([*consts, *leaves])
                self._log_ready(kernel, key, reason, started, "compiled before the first call")
                run = kernel.runner(consts, out_tree, key[1])
            else:
                def run(leaves):
                    return tree.unflatten(out_tree, kernel(*consts, *leaves))

                def switch():
                    self._switch(key, kernel.runner(consts, out_tree, key[1]), flat)
                    self._log_ready(kernel, key, reason, started, "calls ran on the interpreter "
                                    "until now")
                kernel.when_ready(switch)
            self._store(key, run, flat)
            return run

    def _store(self, key, run, flat):
        """Make ``run`` the runner of signature ``key`` (under self._lock)."""
        self._entries[key] = run
        if flat:
            self._flat_runners[key[1]] = run
        self._remember_arrays(key, run)

    def _remember_arrays(self, key, run):
        """Put signature ``key`` first among those _array_runner compares calls with, if it
        has many leaves, all arrays and NumPy scalars (under self._lock)."""
        if key[2] == () and len(key[1]) >= _MANY_LEAVES and all(
                type(k) is tuple and len(k) == 2 for k in key[1]):
            shapes = [k[0] for k in key[1]]
            dtypes = [k[1] for k in key[1]]
            others = [c for c in self._array_runners.get(key[0], ())
                      if c[0] != shapes or c[1] != dtypes]
            self._array_runners[key[0]] = [(shapes, dtypes, run), *others][:_ARRAY_RUNNERS_KEPT]

    def _switch(self, key, run, flat):
        with self._lock:
            self._store(key, run, flat)

    def _log_ready(self, kernel, key, reason, started, tier):
        if config.log_compiles:
            logger.warning(
                "functrans.jit compiled %s for %s (%s): kernel ready %.3f s after the call "
                "(%s in %.3f s; %s); generated source:\n%s",
                self.__name__, _format_signature(key), reason, kernel.ready_at - started,
                "loaded from the disk cache" if kernel.from_disk else "compiled by numba",
                kernel.compile_seconds, tier, kernel.source)

    def _reason(self, key):
        if not self._signatures:
            return "first call"
        previous = self._signatures[-1]
        if previous[0] != key[0]:
            return f"new argument structure: {key[0]} (was {previous[0]})"
        changes = []
        for index, (old, new) in enumerate(zip(previous[1], key[1])):
            if old != new:
                changes.append(f"leaf {index}: {_format_leaf(new)} (was {_format_leaf(old)})")
        if previous[2] != key[2]:
            changes.append(f"static arguments {key[2]} (were {previous[2]})")
        return "new " + "; ".join(changes) if changes else "new signature"

    def lower(self, *args, **kwargs):
        """The traced IR, optimised IR and generated source for these arguments."""
        key, leaves, rebuild, static, static_kwargs = self._signature(args, kwargs)
        ir, consts, _ = self._trace(key, leaves, rebuild, static, static_kwargs, len(args))
        return Lowered(compiled(ir, self.__name__), self, [*consts, *leaves])


def _snapshot(consts):
    """The constants a trace captured, as copies: a captured array is a constant of the
    trace (as in JAX), whatever its shape, so mutating it after the first call changes
    nothing."""
    return [np.array(c, copy=True) if isinstance(c, np.ndarray) else c for c in consts]


def _leaf_key_or_aval(x):
    if isinstance(x, core.Tracer):
        aval = x.aval
        return (aval.shape, aval.dtype, aval.weak_type)
    return _plain_leaf_key(x)


def _format_leaf(leaf_key):
    if isinstance(leaf_key, type):
        return f"Python {leaf_key.__name__}"
    weak = len(leaf_key) == 3 and leaf_key[2]
    return core.ShapedArray(leaf_key[0], leaf_key[1], weak).str_short() + (" (weak)" if weak else "")


def _format_signature(key):
    return "(" + ", ".join(_format_leaf(k) for k in key[1]) + ")"


def jit(function=None, *, static_argnums=(), static_argnames=()):
    """``function`` compiled with numba, once per abstract signature.

    >>> import numpy as np, functrans.numpy as fnp
    >>> @jit
    ... def f(x):
    ...     return fnp.sum(fnp.tanh(x) * fnp.sin(x))
    >>> float(f(np.zeros(3)))
    0.0

    ``static_argnums`` / ``static_argnames`` name arguments that are Python
    constants (sizes, flags): each distinct value compiles its own version.
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    if function is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames)
    return JittedFunction(function, static_argnums, static_argnames)

