import collections
import copy
import dataclasses
import pickle
import re
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functrans import tree


class Point(NamedTuple):
    x: object
    y: object


class OtherPoint(NamedTuple):
    x: object
    y: object


# --- Strategies and an independent reference model ----------------------------------

leaf_values = st.integers() | st.floats(allow_nan=False)
dict_keys = st.text(max_size=3)


def _containers(children):
    return (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(dict_keys, children, max_size=4)
        | st.builds(Point, children, children)
        | st.dictionaries(dict_keys, children, max_size=4).map(collections.OrderedDict)
    )


trees = st.recursive(leaf_values | st.none(), _containers, max_leaves=20)


def reference_leaves(value) -> list:
    """Leaf order written out directly from the documented rules."""
    if value is None:
        return []
    if type(value) is dict:
        return [leaf for key in sorted(value) for leaf in reference_leaves(value[key])]
    if type(value) is collections.OrderedDict:
        return [leaf for child in value.values() for leaf in reference_leaves(child)]
    if type(value) in (list, tuple, Point):
        return [leaf for child in value for leaf in reference_leaves(child)]
    return [value]


def reference_num_nodes(value) -> int:
    if type(value) in (dict, collections.OrderedDict):
        return 1 + sum(reference_num_nodes(child) for child in value.values())
    if type(value) in (list, tuple, Point):
        return 1 + sum(reference_num_nodes(child) for child in value)
    return 1


def reference_shape(value):
    """A hashable description of everything but the leaves, for comparison."""
    if value is None:
        return None
    if type(value) is dict:
        return (dict, tuple((key, reference_shape(value[key])) for key in sorted(value)))
    if type(value) is collections.OrderedDict:
        items = tuple((key, reference_shape(child)) for key, child in value.items())
        return (collections.OrderedDict, items)
    if type(value) in (list, tuple, Point):
        return (type(value), tuple(reference_shape(child) for child in value))
    return "*"


def assert_identical_trees(actual, expected):
    """Same container types and key order all the way down, and the very same leaf objects."""
    assert type(actual) is type(expected)
    if isinstance(expected, dict):
        if type(expected) is collections.OrderedDict:
            assert list(actual) == list(expected)
        assert sorted(actual) == sorted(expected)
        for key in expected:
            assert_identical_trees(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for actual_child, expected_child in zip(actual, expected):
            assert_identical_trees(actual_child, expected_child)
    else:
        assert actual is expected


# --- Flatten / unflatten ------------------------------------------------------------


@given(trees)
def test_round_trip_rebuilds_the_same_tree(value):
    leaves, treedef = tree.flatten(value)
    assert_identical_trees(tree.unflatten(treedef, leaves), value)
    assert_identical_trees(treedef.unflatten(leaves), value)


@given(trees)
def test_leaves_follow_documented_order(value):
    assert tree.leaves(value) == reference_leaves(value)


@given(trees)
def test_treedef_counts_leaves_and_nodes(value):
    treedef = tree.structure(value)
    assert treedef.num_leaves == len(reference_leaves(value))
    assert treedef.num_nodes == reference_num_nodes(value)


@given(trees)
def test_unflatten_places_new_leaves_in_flatten_order(value):
    leaves, treedef = tree.flatten(value)
    labels = [f"leaf {index}" for index in range(len(leaves))]
    rebuilt = tree.unflatten(treedef, labels)
    assert tree.leaves(rebuilt) == labels
    assert tree.structure(rebuilt) == treedef


def test_dict_children_are_in_sorted_key_order():
    value = {"b": 1, "a": 2, "c": {"z": 3, "y": 4}}
    assert tree.leaves(value) == [2, 1, 4, 3]
    rebuilt = tree.unflatten(tree.structure(value), ["A", "B", "Y", "Z"])
    assert rebuilt == {"a": "A", "b": "B", "c": {"y": "Y", "z": "Z"}}


def test_none_is_a_node_without_children():
    assert tree.leaves([None, 1, (None,)]) == [1]
    treedef = tree.structure(None)
    assert (treedef.num_leaves, treedef.num_nodes) == (0, 1)
    assert tree.unflatten(treedef, []) is None


def test_arbitrary_objects_strings_and_arrays_are_leaves():
    array = np.arange(3)
    leaf_objects = [array, "text", b"bytes", 3.5, object(), {1, 2}]
    leaves = tree.leaves(leaf_objects)
    assert all(leaf is original for leaf, original in zip(leaves, leaf_objects, strict=True))
    assert tree.structure(array) == tree.structure("text") == tree.structure(7)


def test_subclasses_of_node_types_are_leaves_unless_namedtuples():
    class MyDict(dict):
        pass

    class MyTuple(tuple):
        pass

    my_dict, my_tuple = MyDict(a=1), MyTuple((1, 2))
    assert tree.leaves([my_dict, my_tuple]) == [my_dict, my_tuple]


def test_unsortable_dict_keys_raise_type_error():
    with pytest.raises(TypeError, match="dict keys must be sortable"):
        tree.flatten({1: "a", "b": 2})


def test_namedtuple_round_trip_keeps_class():
    value = Point(1, Point(2, [3]))
    leaves, treedef = tree.flatten(value)
    assert leaves == [1, 2, 3]
    rebuilt = tree.unflatten(treedef, ["a", "b", "c"])
    assert type(rebuilt) is Point and type(rebuilt.y) is Point
    assert rebuilt == Point("a", Point("b", ["c"]))


def test_ordered_dict_keeps_insertion_order():
    value = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree.leaves(value) == [1, 2]
    rebuilt = tree.unflatten(tree.structure(value), [10, 20])
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt.items()) == [("b", 10), ("a", 20)]


def test_defaultdict_uses_sorted_keys_and_keeps_its_factory():
    value = collections.defaultdict(list, {"b": 1, "a": 2})
    assert tree.leaves(value) == [2, 1]
    rebuilt = tree.unflatten(tree.structure(value), [20, 10])
    assert type(rebuilt) is collections.defaultdict
    assert rebuilt == {"a": 20, "b": 10}
    assert rebuilt["missing"] == []


def test_is_leaf_stops_the_recursion():
    value = [(1, 2), {"a": (3,)}, None]
    leaves, treedef = tree.flatten(value, is_leaf=lambda node: isinstance(node, tuple))
    assert leaves == [(1, 2), (3,)]
    assert treedef == tree.structure([0, {"a": 0}, None])
    assert tree.leaves(value, is_leaf=lambda node: node is None) == [1, 2, 3, None]
    assert tree.leaves(value, is_leaf=lambda node: node is value) == [value]


def test_unflatten_accepts_any_iterable_of_leaves():
    treedef = tree.structure({"a": 0, "b": [0, 0]})
    assert tree.unflatten(treedef, iter(range(3))) == {"a": 0, "b": [1, 2]}


def test_unflatten_does_not_alias_the_leaf_list():
    leaves = [1, 2]
    rebuilt = tree.unflatten(tree.structure([0, 0]), leaves)
    rebuilt.append(3)
    assert leaves == [1, 2]


@pytest.mark.parametrize(
    ("value", "given_leaves", "expected_count"),
    [((1, 2), [1, 2, 3], 2), ({"a": [1, 2]}, [1], 2), (5, [], 1), (None, [1], 0)],
)
def test_unflatten_rejects_wrong_number_of_leaves(value, given_leaves, expected_count):
    message = f"expects {expected_count} leaves, but {len(given_leaves)} were given"
    with pytest.raises(ValueError, match=message):
        tree.unflatten(tree.structure(value), given_leaves)


# --- TreeDef --------------------------------------------------------------------------


@given(trees, st.data())
def test_structure_ignores_leaf_values(value, data):
    replaced = tree.map(lambda _: data.draw(leaf_values), value)
    assert tree.structure(replaced) == tree.structure(value)
    assert hash(tree.structure(replaced)) == hash(tree.structure(value))


@given(trees, trees)
def test_structures_are_equal_exactly_when_they_rebuild_the_same_shape(first, second):
    first_treedef, second_treedef = tree.structure(first), tree.structure(second)
    same_shape = reference_shape(first) == reference_shape(second)
    assert (first_treedef == second_treedef) == same_shape
    if same_shape:
        assert hash(first_treedef) == hash(second_treedef)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((1, 2), [1, 2]),
        ({"a": 1}, {"b": 1}),
        ({"a": 1, "b": 2}, collections.OrderedDict(a=1, b=2)),
        (collections.OrderedDict(a=1, b=2), collections.OrderedDict(b=2, a=1)),
        (Point(1, 2), OtherPoint(1, 2)),
        (Point(1, 2), (1, 2)),
        (None, 1),
        ((1,), (1, 2)),
        ((1, (2,)), ((1,), 2)),
        (collections.defaultdict(list, a=1), collections.defaultdict(set, a=1)),
        (collections.defaultdict(list, a=1), {"a": 1}),
        ({}, {"a": 1}),
        ({}, None),
    ],
)
def test_different_structures_compare_unequal(first, second):
    assert tree.structure(first) != tree.structure(second)


def test_equal_structures_are_interchangeable_dict_keys():
    cache = {tree.structure({"b": [1, 2], "a": None}): "compiled"}
    assert cache[tree.structure({"a": None, "b": ["x", "y"]})] == "compiled"
    assert tree.structure(collections.OrderedDict(a=1)) not in cache


def test_treedef_differs_from_user_tuples_and_is_itself_a_leaf():
    treedef = tree.structure(5)
    assert treedef != (None,) and treedef != ("*",)
    assert tree.leaves([treedef]) == [treedef]


def test_treedef_survives_pickling():
    value = {"a": (1, Point(2, None)), "b": collections.OrderedDict(c=[3])}
    leaves, treedef = tree.flatten(value)
    restored = pickle.loads(pickle.dumps(treedef))
    assert restored == treedef and hash(restored) == hash(treedef)
    assert_identical_trees(restored.unflatten(leaves), value)


def test_treedef_is_immutable():
    treedef = tree.structure((1, 2))
    with pytest.raises(AttributeError):
        treedef.num_leaves = 5
    with pytest.raises(AttributeError):
        treedef.new_attribute = 5
    assert copy.copy(treedef) is treedef and copy.deepcopy(treedef) is treedef


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((1, {"a": 2, "b": [3, 4]}), "PyTreeDef((*, {'a': *, 'b': [*, *]}))"),
        (5, "PyTreeDef(*)"),
        (None, "PyTreeDef(None)"),
        ((1,), "PyTreeDef((*,))"),
        ((), "PyTreeDef(())"),
        (Point(1, [2]), "PyTreeDef(Point(x=*, y=[*]))"),
        (collections.OrderedDict(b=1, a=2), "PyTreeDef(OrderedDict({'b': *, 'a': *}))"),
        (collections.defaultdict(list, a=1), "PyTreeDef(defaultdict(list, {'a': *}))"),
    ],
)
def test_treedef_repr(value, expected):
    assert repr(tree.structure(value)) == expected


def test_treedef_children():
    children = tree.structure((1, [2, 3], {"a": None})).children()
    assert children == [tree.structure(0), tree.structure([0, 0]), tree.structure({"a": None})]
    assert tree.structure(1).children() == []


def test_flatten_up_to_returns_subtrees_and_reports_mismatch_path():
    treedef = tree.structure({"a": 0, "b": (0, 0)})
    assert treedef.flatten_up_to({"a": [1, 2], "b": (3, {"c": 4})}) == [[1, 2], 3, {"c": 4}]
    detail = "at tree['b'] expected tuple of length 2, found list of length 2"
    with pytest.raises(ValueError, match=re.escape(detail)):
        treedef.flatten_up_to({"a": 1, "b": [2, 3]})


# --- map and transpose ---------------------------------------------------------------


def test_map_over_several_trees():
    first = {"a": 1, "b": (2, None)}
    second = {"b": (20, None), "a": 10}
    assert tree.map(lambda x, y: x + y, first, second) == {"a": 11, "b": (22, None)}


def test_map_passes_whole_subtrees_where_later_trees_are_deeper():
    calls = []
    result = tree.map(lambda x, y: calls.append((x, y)) or x, (1, 2), ([3, 4], {"a": 5}))
    assert calls == [(1, [3, 4]), (2, {"a": 5})]
    assert result == (1, 2)


def test_map_does_not_call_function_on_none():
    assert tree.map(lambda x: x * 2, [None, 1, {"a": None}]) == [None, 2, {"a": None}]


def test_map_with_is_leaf():
    value = {"pair": (1, 2), "list": [3, (4, 5)]}
    result = tree.map(lambda node: sum(node) if isinstance(node, tuple) else -node, value,
                      is_leaf=lambda node: isinstance(node, tuple))
    assert result == {"pair": 3, "list": [-3, 9]}


@given(trees)
def test_map_identity_rebuilds_the_same_tree(value):
    assert_identical_trees(tree.map(lambda leaf: leaf, value), value)


def test_map_mismatch_reports_both_structures():
    expected = (
        "functrans.tree.map: tree 1 has structure PyTreeDef((*, *)) "
        "but tree 0 has structure PyTreeDef((*, {'a': *}))"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        tree.map(lambda x, y: x, (1, {"a": 2}), (3, 4))


@pytest.mark.parametrize(
    ("other", "detail"),
    [
        ([1, {"a": 2}], "at the root expected tuple of length 2, found list of length 2"),
        ((1, {"b": 2}), "at tree[1] expected dict with keys ['a'], found dict with keys ['b']"),
        ((1, {"a": 2}, 3), "at the root expected tuple of length 2, found tuple of length 3"),
        ((1, None), "at tree[1] expected dict with keys ['a'], found None"),
    ],
)
def test_map_mismatch_says_where_and_how(other, detail):
    with pytest.raises(ValueError, match=re.escape(detail)):
        tree.map(lambda x, y: x, (1, {"a": 2}), other)


def test_map_mismatch_names_the_offending_tree():
    with pytest.raises(ValueError, match="tree 2 has structure PyTreeDef"):
        tree.map(lambda x, y, z: x, [1], [2], [3, 4])


def test_map_requires_none_where_tree_zero_has_none():
    detail = "at tree[0] expected None, found a leaf of type int"
    with pytest.raises(ValueError, match=re.escape(detail)):
        tree.map(lambda x, y: x, (None, 1), (2, 3))


def test_transpose_swaps_outer_and_inner_structure():
    outer, inner = tree.structure([0, 0, 0]), tree.structure({"x": 0, "y": (0,)})
    value = [{"x": 1, "y": (2,)}, {"x": 3, "y": (4,)}, {"x": 5, "y": (6,)}]
    assert tree.transpose(outer, inner, value) == {"x": [1, 3, 5], "y": ([2, 4, 6],)}


def test_transpose_of_empty_outer_structure():
    result = tree.transpose(tree.structure(()), tree.structure((0, 0)), ())
    assert result == ((), ())


# --- Wide nodes (many children, flattened and rebuilt a node at a time) ------------------

WIDE = tree._MANY_CHILDREN


def _wide_containers(children):
    return (
        st.lists(children, min_size=WIDE, max_size=WIDE + 8)
        | st.lists(children, min_size=WIDE, max_size=WIDE + 8).map(tuple)
        | st.dictionaries(st.text(min_size=2, max_size=3), children, min_size=WIDE,
                          max_size=WIDE + 8)
        | st.builds(Point, children, children)
    )


wide_trees = _wide_containers(leaf_values | st.none() | trees)


def flatten_one_child_at_a_time(value, is_leaf=None):
    """tree.flatten with the wide-node path turned off: the reference for it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tree, "_MANY_CHILDREN", 10**9)
        return tree.flatten(value, is_leaf)


@settings(max_examples=40)
@given(wide_trees)
def test_wide_nodes_flatten_and_rebuild_as_narrow_ones(value):
    leaves, treedef = tree.flatten(value)
    reference_leaves_, reference_treedef = flatten_one_child_at_a_time(value)
    assert leaves == reference_leaves(value)
    assert all(a is b for a, b in zip(leaves, reference_leaves_, strict=True))
    assert treedef == reference_treedef and hash(treedef) == hash(reference_treedef)
    assert_identical_trees(tree.unflatten(treedef, leaves), value)
    labels = [f"leaf {index}" for index in range(len(leaves))]
    assert tree.leaves(tree.unflatten(treedef, labels)) == labels


class NotANamedTuple(tuple):
    pass


@pytest.mark.parametrize("odd_child", [
    Point(1, 2), NotANamedTuple((1, 2)), None, [3, (4,)], {"b": 5, "a": 6},
    collections.OrderedDict([("b", 7), ("a", 8)]), np.arange(2), "text",
], ids=repr)
@pytest.mark.parametrize("position", [0, WIDE // 2, WIDE + 1])
def test_one_node_among_many_leaves(odd_child, position):
    children = [np.float64(i) for i in range(WIDE + 2)]
    children[position] = odd_child
    for value in (children, tuple(children), {f"k{i:03d}": c for i, c in enumerate(children)}):
        leaves, treedef = tree.flatten(value)
        assert leaves == reference_leaves(value)
        assert treedef == flatten_one_child_at_a_time(value)[1]
        assert_identical_trees(tree.unflatten(treedef, leaves), value)
        assert tree.leaves(tree.unflatten(treedef, [str(x) for x in leaves])) == [
            str(x) for x in leaves]


def test_wide_dict_of_leaves_sorts_keys_and_keeps_is_leaf():
    value = {f"k{i:03d}": i for i in reversed(range(WIDE + 5))}
    leaves, treedef = tree.flatten(value, is_leaf=lambda node: isinstance(node, int))
    assert leaves == list(range(WIDE + 5))
    assert (treedef.num_leaves, treedef.num_nodes) == (WIDE + 5, WIDE + 6)
    rebuilt = tree.unflatten(treedef, [-x for x in leaves])
    assert list(rebuilt) == sorted(value) and rebuilt == {k: -v for k, v in value.items()}
    nested = [value, (value, None)]
    assert tree.leaves(nested, is_leaf=lambda node: node is value) == [value, value]


def test_wide_registered_nodes_get_lists_of_children():
    seen = []

    class Bag:
        def __init__(self, items):
            self.items = items

    tree.register_pytree_node(Bag, lambda bag: (bag.items, None),
                              lambda _, children: seen.append(type(children)) or Bag(children))
    value = Bag(list(range(WIDE + 3)))
    leaves, treedef = tree.flatten([value, 1.0])
    for given_leaves in (leaves, tuple(leaves), iter(leaves)):
        rebuilt = tree.unflatten(treedef, given_leaves)
        assert rebuilt[0].items == value.items and rebuilt[1] == 1.0
    assert seen == [list, list, list]


# --- Registration ---------------------------------------------------------------------


def _register_pair_class():
    class Pair:
        def __init__(self, first, second, label):
            self.first, self.second, self.label = first, second, label

    tree.register_pytree_node(
        Pair,
        lambda pair: ((pair.first, pair.second), pair.label),
        lambda label, children: Pair(*children, label),
    )
    return Pair


def test_registered_class_round_trip():
    pair_class = _register_pair_class()
    value = [pair_class(1, pair_class(2, 3, "inner"), "outer")]
    leaves, treedef = tree.flatten(value)
    assert leaves == [1, 2, 3]
    rebuilt = tree.unflatten(treedef, ["a", "b", "c"])
    outer = rebuilt[0]
    assert type(outer) is pair_class and type(outer.second) is pair_class
    assert (outer.first, outer.label) == ("a", "outer")
    assert (outer.second.first, outer.second.second, outer.second.label) == ("b", "c", "inner")


def test_registered_class_aux_data_is_part_of_the_structure():
    pair_class = _register_pair_class()
    assert tree.structure(pair_class(1, 2, "x")) == tree.structure(pair_class(3, 4, "x"))
    assert tree.structure(pair_class(1, 2, "x")) != tree.structure(pair_class(1, 2, "y"))
    expected_repr = "PyTreeDef(CustomNode(Pair['x'], [*, *]))"
    assert repr(tree.structure(pair_class(1, 2, "x"))) == expected_repr


def test_registered_class_with_generator_children():
    class Bag:
        def __init__(self, items):
            self.items = items

    tree.register_pytree_node(Bag, lambda bag: ((item for item in bag.items), None),
                              lambda _, children: Bag(list(children)))
    assert tree.leaves(Bag([1, (2, 3)])) == [1, 2, 3]
    assert tree.map(lambda x: x * 10, Bag([1, 2])).items == [10, 20]


def test_registering_twice_raises():
    pair_class = _register_pair_class()
    with pytest.raises(ValueError, match="Pair is already registered as a pytree node"):
        tree.register_pytree_node(pair_class, lambda pair: ((), None), lambda _, children: None)
    with pytest.raises(ValueError, match="tuple is already registered"):
        tree.register_pytree_node(tuple, lambda value: (value, None), lambda _, children: children)


def test_unhashable_aux_data_is_reported_when_flattening():
    class Box:
        def __init__(self, content, tags):
            self.content, self.tags = content, tags

    tree.register_pytree_node(Box, lambda box: ((box.content,), box.tags),
                              lambda tags, children: Box(children[0], tags))
    with pytest.raises(TypeError, match="aux data of .*Box nodes must be hashable, got \\['a'\\]"):
        tree.flatten(Box(1, ["a"]))


def test_dataclass_round_trip():
    @tree.register_dataclass
    @dataclasses.dataclass
    class State:
        position: object
        velocity: object

    value = State(position=np.zeros(2), velocity=(1.0, 2.0))
    leaves, treedef = tree.flatten(value)
    assert leaves[0] is value.position and leaves[1:] == [1.0, 2.0]
    rebuilt = tree.unflatten(treedef, ["p", "v0", "v1"])
    assert rebuilt == State(position="p", velocity=("v0", "v1"))
    assert repr(treedef) == "PyTreeDef(State(position=*, velocity=(*, *)))"


def test_dataclass_meta_fields_go_to_the_structure():
    @dataclasses.dataclass(frozen=True)
    class Layer:
        weight: object
        activation: str
        scale: float = 1.0

    tree.register_dataclass(Layer, meta_fields=["activation"])
    assert tree.leaves(Layer(1, "relu", 2.0)) == [1, 2.0]
    assert tree.structure(Layer(1, "relu")) == tree.structure(Layer(2, "relu"))
    assert tree.structure(Layer(1, "relu")) != tree.structure(Layer(1, "tanh"))
    rebuilt = tree.map(lambda leaf: leaf * 10, Layer(1, "relu", 2.0))
    assert rebuilt == Layer(10, "relu", 20.0)


def test_dataclass_static_field_metadata_marks_meta_fields():
    @tree.register_dataclass
    @dataclasses.dataclass
    class Optimizer:
        step_size: object
        name: str = dataclasses.field(default="sgd", metadata={"static": True})

    leaves, treedef = tree.flatten(Optimizer(0.1))
    assert leaves == [0.1]
    assert tree.unflatten(treedef, [0.5]) == Optimizer(0.5, "sgd")
    assert treedef != tree.structure(Optimizer(0.1, "adam"))


def test_register_dataclass_as_decorator_with_arguments():
    @tree.register_dataclass(meta_fields=["name"])
    @dataclasses.dataclass
    class Named:
        value: object
        name: str

    assert tree.leaves(Named(1, "x")) == [1]
    assert tree.structure(Named(1, "x")) != tree.structure(Named(1, "y"))


def test_register_dataclass_validates_fields():
    @dataclasses.dataclass
    class Config:
        a: int
        b: int

    with pytest.raises(ValueError, match="must together list each __init__ field"):
        tree.register_dataclass(Config, data_fields=["a"], meta_fields=["c"])
    with pytest.raises(TypeError, match="is not a dataclass"):
        tree.register_dataclass(int)
