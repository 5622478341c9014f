"""Pytrees: nested containers whose leaves are the values transformations act on.

A pytree is a leaf or a container node (tuple, list, dict, None, namedtuple,
OrderedDict, defaultdict, or a registered class) whose children are pytrees.
``flatten`` splits a pytree into its leaves and a hashable ``TreeDef``
describing everything else; ``unflatten`` puts them back together.

>>> leaves, treedef = flatten((1, {"b": [2, 3], "a": None}))
>>> leaves
[1, 2, 3]
>>> treedef
PyTreeDef((*, {'a': None, 'b': [*, *]}))
>>> unflatten(treedef, [10, 20, 30])
(10, {'a': None, 'b': [20, 30]})

Internally a TreeDef is the tuple of its nodes in pre-order: a private leaf
marker for each leaf and ``(kind, aux_data, number_of_children)`` for each
node, so equality and hashing are plain tuple operations.
"""

import builtins
import collections
import dataclasses
import functools
import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

__all__ = [
    "TreeDef",
    "flatten",
    "unflatten",
    "leaves",
    "structure",
    "map",
    "transpose",
    "register_pytree_node",
    "register_dataclass",
]

PyTree = Any


# --- Node kinds: how each container type is taken apart and rebuilt ---------------


class _NodeKind:
    """Flattening rules for one node type; compared by identity inside TreeDefs."""

    __slots__ = ("node_type",)

    def __init__(self, node_type: type):
        self.node_type = node_type

    def __reduce__(self):
        # Pickled by reference, so that an unpickled TreeDef holds the very kind
        # objects of this process's registry and still compares equal.
        return _kind_of_type, (self.node_type,)

    def flatten(self, node) -> tuple[Sequence, Hashable]:
        """Return ``(children, aux_data)``; children must be a list or tuple."""
        raise NotImplementedError

    def unflatten(self, aux_data, children: list):
        raise NotImplementedError

    def format(self, aux_data, children: list[str]) -> str:
        """Render the node for TreeDef's repr, given its children's reprs."""
        return f"CustomNode({self.node_type.__name__}[{aux_data!r}], [{', '.join(children)}])"

    def describe(self, aux_data, number_of_children: int) -> str:
        """One-level description of the node, for structure-mismatch errors."""
        return (
            f"{self.node_type.__name__} node with aux data {aux_data!r} "
            f"and {number_of_children} children"
        )

    def path_entry(self, aux_data, index: int) -> str:
        """How the child at ``index`` is written in an error's tree path."""
        return f"[{index}]"


class _TupleKind(_NodeKind):
    __slots__ = ()

    def flatten(self, node):
        return node, None

    def unflatten(self, aux_data, children):
        return tuple(children)

    def format(self, aux_data, children):
        # A one-element tuple needs its trailing comma, as in Python.
        return f"({children[0]},)" if len(children) == 1 else f"({', '.join(children)})"

    def describe(self, aux_data, number_of_children):
        return f"tuple of length {number_of_children}"


class _ListKind(_NodeKind):
    __slots__ = ()

    def flatten(self, node):
        return node, None

    def unflatten(self, aux_data, children):
        return list(children)

    def format(self, aux_data, children):
        return f"[{', '.join(children)}]"

    def describe(self, aux_data, number_of_children):
        return f"list of length {number_of_children}"


class _NoneKind(_NodeKind):
    __slots__ = ()

    def flatten(self, node):
        return (), None

    def unflatten(self, aux_data, children):
        return None

    def format(self, aux_data, children):
        return "None"

    def describe(self, aux_data, number_of_children):
        return "None"


def _sorted_keys(mapping) -> tuple:
    try:
        return tuple(sorted(mapping))
    except TypeError as error:
        raise TypeError(
            f"functrans.tree: dict keys must be sortable to flatten a "
            f"{type(mapping).__name__}, got keys {list(mapping)!r} ({error})"
        ) from None


def _values_of(mapping, keys) -> Sequence:
    """``mapping``'s values in the order of ``keys`` (one C-level call, not one per key)."""
    if len(keys) < 2:  # itemgetter of one key returns the value, not a 1-tuple
        return [mapping[key] for key in keys]
    return operator.itemgetter(*keys)(mapping)


def _format_items(keys, children) -> str:
    return "{" + ", ".join(f"{key!r}: {child}" for key, child in zip(keys, children)) + "}"


class _DictKind(_NodeKind):
    """Plain dict: children in sorted-key order, aux data is the sorted keys."""

    __slots__ = ()

    def flatten(self, node):
        keys = _sorted_keys(node)
        return _values_of(node, keys), keys

    def unflatten(self, aux_data, children):
        return dict(zip(aux_data, children))

    def format(self, aux_data, children):
        return _format_items(aux_data, children)

    def describe(self, aux_data, number_of_children):
        return f"dict with keys {list(aux_data)!r}"

    def path_entry(self, aux_data, index):
        return f"[{aux_data[index]!r}]"


class _OrderedDictKind(_DictKind):
    """OrderedDict: children in insertion order, which is part of the structure."""

    __slots__ = ()

    def flatten(self, node):
        return list(node.values()), tuple(node)

    def unflatten(self, aux_data, children):
        return collections.OrderedDict(zip(aux_data, children))

    def format(self, aux_data, children):
        return f"OrderedDict({_format_items(aux_data, children)})"

    def describe(self, aux_data, number_of_children):
        return f"OrderedDict with keys {list(aux_data)!r}"


class _DefaultDictKind(_NodeKind):
    """defaultdict: sorted keys like dict; aux data is ``(default_factory, keys)``."""

    __slots__ = ()

    def flatten(self, node):
        keys = _sorted_keys(node)
        return _values_of(node, keys), (node.default_factory, keys)

    def unflatten(self, aux_data, children):
        default_factory, keys = aux_data
        return collections.defaultdict(default_factory, zip(keys, children))

    def format(self, aux_data, children):
        default_factory, keys = aux_data
        factory_name = getattr(default_factory, "__name__", repr(default_factory))
        return f"defaultdict({factory_name}, {_format_items(keys, children)})"

    def describe(self, aux_data, number_of_children):
        default_factory, keys = aux_data
        return f"defaultdict({default_factory!r}) with keys {list(keys)!r}"

    def path_entry(self, aux_data, index):
        return f"[{aux_data[1][index]!r}]"


class _NamedTupleKind(_NodeKind):
    """One kind per namedtuple class, so different classes give different TreeDefs."""

    __slots__ = ()

    def flatten(self, node):
        return node, None

    def unflatten(self, aux_data, children):
        return self.node_type(*children)

    def format(self, aux_data, children):
        fields = self.node_type._fields
        arguments = ", ".join(f"{field}={child}" for field, child in zip(fields, children))
        return f"{self.node_type.__name__}({arguments})"

    def describe(self, aux_data, number_of_children):
        return f"namedtuple {self.node_type.__name__}"

    def path_entry(self, aux_data, index):
        return f".{self.node_type._fields[index]}"


def _check_hashable(kind: _NodeKind, aux_data) -> None:
    # Checked when flattening so that the error names the node type, instead
    # of surfacing later as a bare "unhashable type" from some cache lookup.
    try:
        hash(aux_data)
    except TypeError as error:
        raise TypeError(
            f"functrans.tree: aux data of {kind.node_type.__name__} nodes must be "
            f"hashable, got {aux_data!r} ({error})"
        ) from None


class _CustomKind(_NodeKind):
    """A class registered with ``register_pytree_node``."""

    __slots__ = ("user_flatten", "user_unflatten")

    def __init__(self, node_type, user_flatten, user_unflatten):
        super().__init__(node_type)
        self.user_flatten = user_flatten
        self.user_unflatten = user_unflatten

    def flatten(self, node):
        children, aux_data = self.user_flatten(node)
        _check_hashable(self, aux_data)
        if type(children) is not list and type(children) is not tuple:
            children = list(children)
        return children, aux_data

    def unflatten(self, aux_data, children):
        return self.user_unflatten(aux_data, children)


class _DataclassKind(_NodeKind):
    """A dataclass registered with ``register_dataclass``."""

    __slots__ = ("data_fields", "meta_fields")

    def __init__(self, node_type, data_fields: tuple[str, ...], meta_fields: tuple[str, ...]):
        super().__init__(node_type)
        self.data_fields = data_fields
        self.meta_fields = meta_fields

    def flatten(self, node):
        children = [getattr(node, name) for name in self.data_fields]
        aux_data = tuple(getattr(node, name) for name in self.meta_fields)
        _check_hashable(self, aux_data)
        return children, aux_data

    def unflatten(self, aux_data, children):
        return self.node_type(
            **dict(zip(self.data_fields, children)), **dict(zip(self.meta_fields, aux_data))
        )

    def format(self, aux_data, children):
        arguments = [f"{name}={child}" for name, child in zip(self.data_fields, children)]
        arguments += [f"{name}={value!r}" for name, value in zip(self.meta_fields, aux_data)]
        return f"{self.node_type.__name__}({', '.join(arguments)})"

    def describe(self, aux_data, number_of_children):
        meta = ", ".join(f"{name}={value!r}" for name, value in zip(self.meta_fields, aux_data))
        return f"dataclass {self.node_type.__name__}" + (f" with {meta}" if meta else "")

    def path_entry(self, aux_data, index):
        return f".{self.data_fields[index]}"


_TUPLE = _TupleKind(tuple)
_LIST = _ListKind(list)
_DICT = _DictKind(dict)

# Keyed by exact type: subclasses of registered types are leaves unless they
# are namedtuples or registered themselves.
_REGISTRY: dict[type, _NodeKind] = {
    tuple: _TUPLE,
    list: _LIST,
    dict: _DICT,
    type(None): _NoneKind(type(None)),
    collections.OrderedDict: _OrderedDictKind(collections.OrderedDict),
    collections.defaultdict: _DefaultDictKind(collections.defaultdict),
}

# Filled the first time each namedtuple class is flattened; kept apart from
# _REGISTRY so that users may still register a namedtuple class themselves.
_NAMEDTUPLE_KINDS: dict[type, _NamedTupleKind] = {}


def _namedtuple_kind(tuple_subclass: type) -> _NamedTupleKind | None:
    kind = _NAMEDTUPLE_KINDS.get(tuple_subclass)
    if kind is None and hasattr(tuple_subclass, "_fields"):
        kind = _NAMEDTUPLE_KINDS[tuple_subclass] = _NamedTupleKind(tuple_subclass)
    return kind


def _kind_of(value) -> _NodeKind | None:
    """The node kind of ``value``, or None if it is a leaf."""
    kind = _REGISTRY.get(type(value))
    if kind is None and isinstance(value, tuple):
        kind = _namedtuple_kind(type(value))
    return kind


def _kind_of_type(node_type: type) -> _NodeKind:
    kind = _REGISTRY.get(node_type) or _namedtuple_kind(node_type)
    if kind is None:
        raise TypeError(f"functrans.tree: {node_type.__name__} is not a registered pytree node")
    return kind


# --- TreeDef ----------------------------------------------------------------------------


class _LeafEntry:
    """The node entry of a leaf. A private object, unlike None, so no TreeDef
    can compare equal to a user's plain tuple."""

    __slots__ = ()

    def __repr__(self):
        return "*"

    def __reduce__(self):
        return "_LEAF_ENTRY"


_LEAF_ENTRY = _LeafEntry()


class TreeDef(tuple):
    """The structure of a pytree: everything but its leaves.

    Immutable and hashable, so it can key a cache. Obtain one from ``flatten``
    or ``structure``, never by calling ``TreeDef``.

    >>> treedef = structure({"a": 1, "b": (2, 3)})
    >>> treedef
    PyTreeDef({'a': *, 'b': (*, *)})
    >>> treedef.num_leaves, treedef.num_nodes
    (3, 5)
    >>> treedef.unflatten(["x", "y", "z"])
    {'a': 'x', 'b': ('y', 'z')}
    """

    # A TreeDef *is* its tuple of pre-order node entries (private; do not index
    # it): inheriting tuple's C-level __hash__ and __eq__ makes a cache lookup
    # by a freshly flattened TreeDef several times cheaper than Python-level
    # methods would, even though the hash is not stored.
    __slots__ = ()

    @property
    def num_leaves(self) -> int:
        return self.count(_LEAF_ENTRY)

    @property
    def num_nodes(self) -> int:
        """Number of nodes, leaves included."""
        return len(self)

    def unflatten(self, leaves: Iterable) -> PyTree:
        """Build a pytree of this structure from ``leaves``; see ``functrans.tree.unflatten``."""
        return unflatten(self, leaves)

    def flatten_up_to(self, tree: PyTree) -> list:
        """Return the subtrees of ``tree`` found at this structure's leaf positions.

        ``tree`` must have this structure, except that it may be deeper below
        any leaf. Raises ValueError naming the first place where it differs.

        >>> structure((0, 0)).flatten_up_to(([1, 2], {"a": 3}))
        [[1, 2], {'a': 3}]
        """
        try:
            return _flatten_up_to(self, tree)
        except _StructureMismatch as mismatch:
            raise ValueError(
                f"functrans.tree: tree does not match structure {self}: {mismatch}"
            ) from None

    def children(self) -> list["TreeDef"]:
        """The TreeDefs of the root's immediate children (empty for a leaf).

        >>> structure((1, [2, 3])).children()
        [PyTreeDef(*), PyTreeDef([*, *])]
        """
        if self[0] is _LEAF_ENTRY:
            return []
        result = []
        start = 1
        for _ in range(self[0][2]):
            end = _subtree_end(self, start)
            result.append(TreeDef(self[start:end]))
            start = end
        return result

    def __repr__(self):
        text, _ = _format_subtree(self, 0)
        return f"PyTreeDef({text})"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


_LEAF = TreeDef((_LEAF_ENTRY,))


def _subtree_end(nodes: tuple, start: int) -> int:
    """Index just past the subtree whose root entry is ``nodes[start]``."""
    position = start
    unvisited = 1
    while unvisited:
        entry = nodes[position]
        unvisited += (0 if entry is _LEAF_ENTRY else entry[2]) - 1
        position += 1
    return position


def _format_subtree(nodes: tuple, position: int) -> tuple[str, int]:
    entry = nodes[position]
    position += 1
    if entry is _LEAF_ENTRY:
        return "*", position
    kind, aux_data, number_of_children = entry
    children = []
    for _ in range(number_of_children):
        child, position = _format_subtree(nodes, position)
        children.append(child)
    return kind.format(aux_data, children), position


# --- Flatten and unflatten -----------------------------------------------------------


#: A node with at least this many children is first tested for holding only leaves, which
#: are then taken in one step (a dict of many arrays is the common case). Below it, the
#: loop over the children is quicker than the test.
_MANY_CHILDREN = 32


def _all_leaves(children) -> bool:
    """Whether none of ``children`` is a node (tuple subclasses, which may be namedtuples,
    count as nodes here)."""
    types = set(builtins.map(type, children))
    return types.isdisjoint(_REGISTRY) and not any(issubclass(t, tuple) for t in types)


def _flatten_node(node, kind: _NodeKind, is_leaf, leaves_out: list, nodes_out: list) -> None:
    """Append the pre-order entries of ``node``, already known to be a ``kind`` node."""
    if kind is _TUPLE or kind is _LIST:
        children = node
        aux_data = None
    elif kind is _DICT and not node:
        # The ``kwargs == {}`` of nearly every function call: skip the sort.
        children = aux_data = ()
    else:
        children, aux_data = kind.flatten(node)
    count = len(children)
    nodes_out.append((kind, aux_data, count))
    # is_leaf can only change the outcome for nodes, so leaves never need it.
    if count >= _MANY_CHILDREN and _all_leaves(children):
        leaves_out.extend(children)
        nodes_out.extend([_LEAF_ENTRY] * count)
        return
    # Leaf children are handled here rather than by recursing, and _kind_of is
    # inlined: on this path a function call costs more than the leaf test.
    for child in children:
        if type(child) in _REGISTRY:
            child_kind = _REGISTRY[type(child)]
        elif isinstance(child, tuple):
            child_kind = _namedtuple_kind(type(child))
        else:
            child_kind = None
        if child_kind is None or (is_leaf is not None and is_leaf(child)):
            leaves_out.append(child)
            nodes_out.append(_LEAF_ENTRY)
        else:
            _flatten_node(child, child_kind, is_leaf, leaves_out, nodes_out)


def flatten(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, TreeDef]:
    """Split ``tree`` into its leaves (left to right) and its structure.

    ``is_leaf(x)`` returning True makes ``x`` a leaf even if it is a node.
    Dict children come in sorted-key order.

    >>> flatten({"b": 1, "a": (2, None)})
    ([2, 1], PyTreeDef({'a': (*, None), 'b': *}))
    >>> flatten([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple))
    ([1, (2, 3)], PyTreeDef([*, *]))
    """
    kind = _REGISTRY.get(type(tree))
    if kind is None and isinstance(tree, tuple):
        kind = _namedtuple_kind(type(tree))
    if kind is None or (is_leaf is not None and is_leaf(tree)):
        # All lone leaves share one TreeDef, so this common case builds none.
        return [tree], _LEAF
    leaves_out = []
    nodes_out = []
    try:
        _flatten_node(tree, kind, is_leaf, leaves_out, nodes_out)
    except RecursionError:
        raise _cycle_error(tree) from None
    return leaves_out, TreeDef(nodes_out)


def _cycle_error(tree):
    from functrans.errors import at_user_line
    return ValueError(at_user_line(
        f"this {type(tree).__name__} contains itself (a cycle), or is nested deeper than "
        "Python's recursion limit, so it is not a pytree: a pytree is a tree of tuples, "
        "lists, dicts and registered nodes; remove the reference from the container to "
        "itself (or pass the inner values)"))


def _build_node(entry: tuple, nodes, leaf_values):
    """Rebuild the node of ``entry``, consuming the iterators ``nodes`` and ``leaf_values``."""
    kind, aux_data, number_of_children = entry
    children = []
    for _ in range(number_of_children):
        child_entry = next(nodes)
        if child_entry is _LEAF_ENTRY:
            children.append(next(leaf_values))
        else:
            children.append(_build_node(child_entry, nodes, leaf_values))
    return kind.unflatten(aux_data, children)


def _build_large_node(treedef: TreeDef, position: int, leaves: list, first_leaf: int):
    """_build_node for trees of many leaves, where the children of a node that has only
    leaves below it are taken as one slice of the leaves. Returns ``(node, next position,
    next leaf index)`` for the node whose entry is ``treedef[position]``, built from the
    leaves from ``first_leaf`` on."""
    kind, aux_data, number_of_children = treedef[position]
    position += 1
    if number_of_children >= _MANY_CHILDREN:
        end = position + number_of_children
        if treedef[position:end].count(_LEAF_ENTRY) == number_of_children:
            last_leaf = first_leaf + number_of_children
            return kind.unflatten(aux_data, leaves[first_leaf:last_leaf]), end, last_leaf
    children = []
    leaf = first_leaf
    for _ in range(number_of_children):
        if treedef[position] is _LEAF_ENTRY:
            children.append(leaves[leaf])
            leaf += 1
            position += 1
        else:
            child, position, leaf = _build_large_node(treedef, position, leaves, leaf)
            children.append(child)
    return kind.unflatten(aux_data, children), position, leaf


def unflatten(treedef: TreeDef, leaves: Iterable) -> PyTree:
    """Build the pytree with structure ``treedef`` and the given leaves.

    >>> leaves, treedef = flatten({"a": [1, 2]})
    >>> unflatten(treedef, ["x", "y"])
    {'a': ['x', 'y']}
    """
    if type(leaves) is not list and type(leaves) is not tuple:
        leaves = list(leaves)
    num_leaves = treedef.count(_LEAF_ENTRY)
    if len(leaves) != num_leaves:
        raise ValueError(
            f"functrans.tree.unflatten: {treedef} expects {num_leaves} leaves, "
            f"but {len(leaves)} were given"
        )
    root = treedef[0]
    if root is _LEAF_ENTRY:
        return leaves[0]
    if len(treedef) == num_leaves + 1:
        # Only the root is a node (a flat tuple, say), so its children are the leaves.
        kind, aux_data, _ = root
        return kind.unflatten(aux_data, leaves)
    if num_leaves >= _MANY_CHILDREN:
        # Registered nodes are given lists of children, also when taken as slices.
        return _build_large_node(treedef, 0, list(leaves) if type(leaves) is tuple else leaves,
                                 0)[0]
    node_entries = iter(treedef)
    return _build_node(next(node_entries), node_entries, iter(leaves))


def leaves(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``tree``, left to right (dicts in sorted-key order).

    >>> leaves({"b": [1, 2], "a": 3})
    [3, 1, 2]
    """
    return flatten(tree, is_leaf)[0]


def structure(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> TreeDef:
    """The TreeDef of ``tree``.

    >>> structure((1, [2, None]))
    PyTreeDef((*, [*, None]))
    """
    return flatten(tree, is_leaf)[1]


# --- Matching one tree against another's structure ---------------------------------


class _StructureMismatch(Exception):
    """Raised inside _flatten_up_to; the tree path is prepended while unwinding."""

    def __init__(self, expected: str, found: str):
        super().__init__()
        self.expected = expected
        self.found = found
        self.path: list[str] = []

    def __str__(self):
        where = "tree" + "".join(self.path) if self.path else "the root"
        return f"at {where} expected {self.expected}, found {self.found}"


def _flatten_up_to(treedef: TreeDef, tree) -> list:
    subtrees = []
    _flatten_up_to_into(tree, iter(treedef), subtrees)
    return subtrees


def _flatten_up_to_into(tree, nodes, subtrees_out: list) -> None:
    entry = next(nodes)
    if entry is _LEAF_ENTRY:
        subtrees_out.append(tree)
        return
    kind, aux_data, number_of_children = entry
    found_kind = _kind_of(tree)
    if found_kind is None:
        raise _StructureMismatch(
            kind.describe(aux_data, number_of_children), f"a leaf of type {type(tree).__name__}"
        )
    children, found_aux_data = found_kind.flatten(tree)
    if found_kind is not kind or found_aux_data != aux_data or len(children) != number_of_children:
        raise _StructureMismatch(
            kind.describe(aux_data, number_of_children),
            found_kind.describe(found_aux_data, len(children)),
        )
    for index, child in enumerate(children):
        try:
            _flatten_up_to_into(child, nodes, subtrees_out)
        except _StructureMismatch as mismatch:
            mismatch.path.insert(0, kind.path_entry(aux_data, index))
            raise


def map(
    function: Callable,
    tree: PyTree,
    *rest: PyTree,
    is_leaf: Callable[[Any], bool] | None = None,
) -> PyTree:
    """Apply ``function`` to corresponding leaves of ``tree`` and ``rest``.

    Each tree in ``rest`` must have the structure of ``tree``, but may be
    deeper below a leaf of ``tree``: the whole subtree is then passed.

    >>> map(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)})
    {'a': 11, 'b': (22, 33)}
    >>> map(lambda x, y: y, (0, 0), ([1, 2], {"a": 3}))
    ([1, 2], {'a': 3})
    """
    tree_leaves, treedef = flatten(tree, is_leaf)
    all_leaves = [tree_leaves]
    for tree_number, other in enumerate(rest, start=1):
        try:
            all_leaves.append(_flatten_up_to(treedef, other))
        except _StructureMismatch as mismatch:
            raise ValueError(
                f"functrans.tree.map: tree {tree_number} has structure "
                f"{structure(other, is_leaf)} but tree 0 has structure {treedef} ({mismatch})"
            ) from None
    return unflatten(treedef, [function(*arguments) for arguments in zip(*all_leaves)])


def transpose(outer_treedef: TreeDef, inner_treedef: TreeDef, tree: PyTree) -> PyTree:
    """Turn a tree of structure outer-of-inner into one of inner-of-outer.

    >>> outer, inner = structure([0, 0]), structure({"x": 0, "y": 0})
    >>> transpose(outer, inner, [{"x": 1, "y": 2}, {"x": 3, "y": 4}])
    {'x': [1, 3], 'y': [2, 4]}
    """
    inner_trees = outer_treedef.flatten_up_to(tree)
    rows = [inner_treedef.flatten_up_to(inner_tree) for inner_tree in inner_trees]
    # zip(*rows) cannot know the column count when there are no rows.
    columns = zip(*rows) if rows else [()] * inner_treedef.num_leaves
    return inner_treedef.unflatten([outer_treedef.unflatten(column) for column in columns])


# --- Registration -------------------------------------------------------------------


def _register(kind: _NodeKind) -> None:
    node_type = kind.node_type
    if not isinstance(node_type, type):
        raise TypeError(f"functrans.tree: can only register classes, got {node_type!r}")
    if node_type in _REGISTRY:
        raise ValueError(
            f"functrans.tree: {node_type.__name__} is already registered as a pytree node"
        )
    _REGISTRY[node_type] = kind


def register_pytree_node(
    cls: type,
    flatten_fn: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_fn: Callable[[Hashable, list], Any],
) -> None:
    """Make instances of ``cls`` pytree nodes instead of leaves.

    ``flatten_fn(obj)`` returns ``(children, aux_data)``; ``aux_data`` becomes
    part of the TreeDef, so it must be hashable and comparable with ``==``.
    ``unflatten_fn(aux_data, children)`` rebuilds the object. Registering a
    class twice raises ValueError.

    >>> class Pair:
    ...     def __init__(self, first, second):
    ...         self.first, self.second = first, second
    >>> register_pytree_node(Pair, lambda pair: ((pair.first, pair.second), None),
    ...                      lambda aux_data, children: Pair(*children))
    >>> leaves(Pair(1, [2, 3]))
    [1, 2, 3]
    """
    _register(_CustomKind(cls, flatten_fn, unflatten_fn))


def register_dataclass(
    cls: type | None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
):
    """Register a dataclass as a pytree node; usable as a decorator.

    Data fields are children; meta fields go into the TreeDef (so must be
    hashable). By default every ``__init__`` field is a data field, except
    those declared with ``dataclasses.field(metadata={"static": True})``.
    Giving only one of ``data_fields``/``meta_fields`` makes the remaining
    fields the other kind. Unflattening calls ``cls(**fields)``.

    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Point:
    ...     x: float
    ...     y: float
    >>> flatten(Point(1.0, 2.0))
    ([1.0, 2.0], PyTreeDef(Point(x=*, y=*)))
    """
    if cls is None:
        return functools.partial(
            register_dataclass, data_fields=data_fields, meta_fields=meta_fields
        )
    if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
        raise TypeError(f"functrans.tree.register_dataclass: {cls!r} is not a dataclass")
    init_fields = [field for field in dataclasses.fields(cls) if field.init]
    field_names = [field.name for field in init_fields]
    if data_fields is None and meta_fields is None:
        meta_fields = [field.name for field in init_fields if field.metadata.get("static", False)]
    if data_fields is None:
        data_fields = [name for name in field_names if name not in meta_fields]
    if meta_fields is None:
        meta_fields = [name for name in field_names if name not in data_fields]
    if sorted([*data_fields, *meta_fields]) != sorted(field_names):
        raise ValueError(
            f"functrans.tree.register_dataclass: data_fields {list(data_fields)!r} and "
            f"meta_fields {list(meta_fields)!r} must together list each __init__ field of "
            f"{cls.__name__} exactly once: {field_names!r}"
        )
    _register(_DataclassKind(cls, tuple(data_fields), tuple(meta_fields)))
    return cls
