"""Reading the YAML files users write (params, mapping and SLA files) within bounds.

YAML's aliases let a few lines stand for an exponential number of values (`b: [*a, *a, ...]`,
`c: [*b, *b, ...]`: a 2 KB "alias bomb" of nine levels is a billion strings). The safe loader
shares an alias's value rather than copying it, but every walk over the result (checking,
copying to JSON) visits each copy: a params file of that kind took 2.5 GB and 70 s, one level
more ran out of memory. A settings file holds a few hundred values, so one that expands to
more than `MAX_VALUES` is refused before anything is built from it.
"""

from __future__ import annotations

import yaml

#: The most values (scalars, lists and mappings, each alias counted as the copy it stands for)
#: a YAML file smk reads may expand to: far above any settings file (a mapping's value
#: translations run to thousands), far below what an alias bomb expands to.
MAX_VALUES = 200_000


class YAMLTooLarge(yaml.YAMLError):
    """A YAML file that expands to more than `MAX_VALUES` values."""


def load_yaml(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> object:
    """The single YAML document of `text`, read by `loader` (a safe loader); None when it is
    empty. Raises `YAMLTooLarge` when its aliases expand it beyond `MAX_VALUES` values, and
    YAML's own errors for text that is not YAML."""
    reader = loader(text)
    try:
        node = reader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_VALUES:
            raise YAMLTooLarge(
                f"it expands to {size:,} values through its aliases (*name), more than the "
                f"{MAX_VALUES:,} a settings file may hold: write the values out, or fewer"
            )
        return reader.construct_document(node)
    finally:
        reader.dispose()


def _expanded_size(node: yaml.Node, seen: dict[int, int]) -> int:
    """How many values `node` stands for, each alias counted as a copy: once per node (`seen`),
    so the count is quick however large the expansion."""
    if id(node) in seen:
        return seen[id(node)]
    seen[id(node)] = 1  # a node that contains itself counts once (a recursive alias)
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, seen) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, seen) + _expanded_size(v, seen) for k, v in node.value)
    else:
        size = 1
    seen[id(node)] = size
    return size
