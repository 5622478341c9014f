"""Lowering IR to numba: optimisation, loop fusion, source generation and compilation.

Nothing here imports numba until code is compiled, so ``import functrans`` stays fast.
"""
