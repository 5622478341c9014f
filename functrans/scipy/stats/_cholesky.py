"""A small traceable Cholesky factorization and triangular solve, for the densities of the
multivariate distributions when their covariance is traced.

They are written with functrans.numpy, unrolled over the (static, small) dimension, so they
differentiate, batch and compile with no primitive of their own: O(d**3) operations in the
IR. functrans.numpy.linalg's decomposition primitives do the same in one operation each;
this module is a stopgap until the multivariate densities are moved onto them.
"""
import functrans.numpy as fnp


def cholesky_factor(matrix):
    """The lower factor ``L`` of ``matrix = L @ L.T`` (``matrix`` of shape ``(..., d, d)``),
    as a list of rows, each a list of ``(...)``-shaped entries (zeros above the diagonal
    omitted). A matrix that is not positive definite gives nan entries."""
    d = matrix.shape[-1]
    rows = [[None] * (i + 1) for i in range(d)]
    for j in range(d):
        pivot = matrix[..., j, j] - sum((rows[j][k] ** 2 for k in range(j)), 0.0)
        rows[j][j] = fnp.sqrt(pivot)
        for i in range(j + 1, d):
            entry = matrix[..., i, j] - sum((rows[i][k] * rows[j][k] for k in range(j)), 0.0)
            rows[i][j] = entry / rows[j][j]
    return rows


def solve_lower(rows, vector):
    """``z`` with ``L @ z = vector`` (``vector`` of shape ``(..., d)``), as a list of entries."""
    solution = []
    for i, row in enumerate(rows):
        partial = vector[..., i] - sum((row[k] * solution[k] for k in range(i)), 0.0)
        solution.append(partial / row[i])
    return solution
