"""Which public names of JAX's NumPy and SciPy modules functrans lacks: ``python -m benchmarks.coverage``.

For each module pair (``jax.numpy`` against ``functrans.numpy``, ``jax.scipy.special``
against ``functrans.scipy.special``, ...) the report lists the public names JAX has and
functrans does not, with counts, as a markdown table (printed, and written to
``--output`` when given). Names left out on purpose go in ``MISSING_ON_PURPOSE`` with the
reason; they are counted apart from the real gaps. Needs JAX installed.
"""
import argparse
import importlib
import sys
import types

# (row label, JAX module, functrans module)
MODULE_PAIRS = (
    ("numpy", "jax.numpy", "functrans.numpy"),
    ("numpy.linalg", "jax.numpy.linalg", "functrans.numpy.linalg"),
    ("numpy.fft", "jax.numpy.fft", "functrans.numpy.fft"),
    ("scipy.special", "jax.scipy.special", "functrans.scipy.special"),
    ("scipy.stats", "jax.scipy.stats", "functrans.scipy.stats"),
    ("scipy.linalg", "jax.scipy.linalg", "functrans.scipy.linalg"),
    ("scipy.signal", "jax.scipy.signal", "functrans.scipy.signal"),
)

# Row label -> {name: why functrans leaves it out}. Each engineer adds the names of their part.
MISSING_ON_PURPOSE = {
    "numpy": {
        "linalg": "a module of its own (its own row)",
        "fft": "a module of its own (its own row)",
        "ufunc": "JAX's class for user ufuncs built on its primitives; functrans.numpy.vectorize "
                 "covers the use",
        "frompyfunc": "makes a jax.numpy.ufunc (see ufunc)",
        "from_dlpack": "DLPack exchange is for device arrays; functrans arrays are NumPy's own",
        "promote_types": "JAX's lattice (weak types, bfloat16); functrans follows NumPy 2, "
                         "use numpy.promote_types",
        "bfloat16": "no bfloat16 in NumPy or numba",
        "float8_e4m3b11fnuz": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e4m3fn": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e4m3fnuz": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e5m2": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e5m2fnuz": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e3m4": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e4m3": "ml_dtypes float8 formats: not in NumPy or numba",
        "float8_e8m0fnu": "ml_dtypes float8 formats: not in NumPy or numba",
        "float4_e2m1fn": "ml_dtypes float4 format: not in NumPy or numba",
        "int2": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "int4": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "uint2": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "uint4": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "load": "file input: use numpy.load, then pass the array",
        "fromfile": "file input: use numpy.fromfile, then pass the array",
        "fromiter": "builds from a Python iterator: use numpy.fromiter",
        "fromstring": "parses text: use numpy.fromstring",
        "frombuffer": "reads a bytes buffer: use numpy.frombuffer",
        "save": "file output: use numpy.save",
        "savez": "file output: use numpy.savez",
        "printoptions": "printing is NumPy's: use numpy.printoptions",
        "set_printoptions": "printing is NumPy's: use numpy.set_printoptions",
        "get_printoptions": "printing is NumPy's: use numpy.get_printoptions",
        "float6_e2m3fn": "ml_dtypes float6 formats: not in NumPy or numba",
        "float6_e3m2fn": "ml_dtypes float6 formats: not in NumPy or numba",
        "int1": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "uint1": "ml_dtypes sub-byte integers: not in NumPy or numba",
        "bitwise_count": "needs a population-count primitive (none yet)",
        "bitwise_left_shift": "needs integer shift primitives (none yet)",
        "bitwise_right_shift": "needs integer shift primitives (none yet)",
        "left_shift": "needs integer shift primitives (none yet)",
        "right_shift": "needs integer shift primitives (none yet)",
        "packbits": "needs integer shift primitives (none yet)",
        "unpackbits": "needs integer shift primitives (none yet)",
        "frexp": "reads a float's exponent bits: needs a primitive (none yet)",
        "nextafter": "steps to the adjacent float: needs a bit-level primitive (none yet)",
        "spacing": "distance to the adjacent float: needs a bit-level primitive (none yet)",
        "place": "modifies its argument in place; use functrans.numpy.where or x.at[...].set",
        "trim_zeros": "its result's length depends on the values and JAX's version takes no "
                      "size; call numpy.trim_zeros on concrete arrays",
        "polydiv": "NumPy trims the remainder's leading zeros, so its length depends on the "
                   "values; call numpy.polydiv on concrete arrays",
        "angle": "complex numbers (i14fft)",
        "conj": "complex numbers (i14fft)",
        "conjugate": "complex numbers (i14fft)",
        "real": "complex numbers (i14fft)",
        "imag": "complex numbers (i14fft)",
        "iscomplex": "complex numbers (i14fft)",
        "iscomplexobj": "complex numbers (i14fft)",
        "isreal": "complex numbers (i14fft)",
        "isrealobj": "complex numbers (i14fft)",
    },
}


def public_names(module):
    """The names a user reaches as ``module.name``: not private, not imported modules
    (``jax.numpy.linalg`` is a row of its own), except in ``scipy.stats`` where
    each distribution is a module of functions."""
    names = set()
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and not module.__name__.endswith(".stats"):
            continue
        names.add(name)
    return names


def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def coverage_rows():
    """One dict per module pair: the JAX names, the missing ones and the deliberate omissions."""
    rows = []
    for label, jax_name, functrans_name in MODULE_PAIRS:
        jax_module = importlib.import_module(jax_name)
        functrans_module = _import(functrans_name)
        jax_names = public_names(jax_module)
        have = public_names(functrans_module) if functrans_module is not None else set()
        if functrans_module is not None:
            have |= {name for name in jax_names if hasattr(functrans_module, name)}
        on_purpose = MISSING_ON_PURPOSE.get(label, {})
        absent = sorted(jax_names - have)
        rows.append({
            "label": label,
            "jax": len(jax_names),
            "present": len(jax_names & have),
            "missing": [name for name in absent if name not in on_purpose],
            "on_purpose": {name: on_purpose[name] for name in absent if name in on_purpose},
        })
    return rows


def markdown(rows):
    """The report: a summary table, then each module's missing names."""
    lines = [
        "| module | names in JAX | in functrans | missing | missing on purpose |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| `{row['label']}` | {row['jax']} | {row['present']} | "
                     f"{len(row['missing'])} | {len(row['on_purpose'])} |")
    for row in rows:
        if row["missing"]:
            lines += ["", f"Missing from `{row['label']}`: "
                      + ", ".join(f"`{name}`" for name in row["missing"])]
    for row in rows:
        if row["on_purpose"]:
            lines += ["", f"Left out of `{row['label']}` on purpose:", ""]
            lines += [f"- `{name}`: {reason}" for name, reason in row["on_purpose"].items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="also write the markdown table to this file")
    arguments = parser.parse_args(argv)
    if _import("jax") is None:
        print("the coverage report compares with JAX: pip install 'jax[cpu]'", file=sys.stderr)
        return 1
    report = markdown(coverage_rows())
    print(report, end="")
    if arguments.output:
        with open(arguments.output, "w") as file:
            file.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
