"""A planned field's argument values read from the request's variables as graphql-core's
``get_argument_values`` reads them, with every decision that does not depend on the
variables taken once, when the field is planned (schema/plan.py).

graphql-core walks all of a field's argument definitions on every request: ``within``
has nine, most of them absent, each absent one's default coerced again. Here the
defaults and the literals without variables are coerced once; a variable given
directly is looked up; a literal holding variables (``where: {mentions: $m}``) is
coerced as graphql-core coerces it. Anything that would be an error (a required
argument without its variable, a null for a non-null argument, a literal that does not
coerce) is left to ``get_argument_values``, which raises it in its words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, Undefined, VariableNode, is_non_null_type
from graphql.execution.values import maybe_use_default_value
from graphql.type import is_required_argument
from graphql.utilities.coerce_input_value import coerce_input_literal

__all__ = ["argument_reader", "Reader"]

# read(variable_values) -> the arguments, or None: get_argument_values must say why not.
Reader = Callable[[Any], dict[str, Any] | None]
_DEFAULT, _VARIABLE, _LITERAL = range(3)


def _refuse(error: GraphQLError, path: list[str | int]) -> None:
    raise error


def argument_reader(definition: Any, node: Any) -> Reader | None:
    """Return how to read a field's arguments from the variables, or None when
    ``get_argument_values`` must read them every time."""
    given = {a.name.value: a for a in node.arguments or ()}
    steps: list[tuple[str, int, Any]] = []
    for name, argument in definition.args.items():
        out = getattr(argument, "out_name", None) or name
        found = given.get(name)
        if found is None or isinstance(found.value, VariableNode):
            if is_required_argument(argument) and found is None:
                return None
            default: dict[str, Any] = {}
            try:
                maybe_use_default_value(default, out, argument, _refuse)
            except (GraphQLError, TypeError):
                return None
            if found is None:
                steps.append((out, _DEFAULT, default.get(out, Undefined)))
            else:
                steps.append((out, _VARIABLE, (found.value.name.value, default.get(out, Undefined),
                                               is_required_argument(argument),
                                               is_non_null_type(argument.type))))
        else:
            steps.append((out, _LITERAL, (found.value, argument.type)))

    def read(variable_values: Any) -> dict[str, Any] | None:
        coerced = variable_values.coerced
        values: dict[str, Any] = {}
        for out, kind, what in steps:
            if kind == _DEFAULT:
                if what is not Undefined:
                    values[out] = what
            elif kind == _VARIABLE:
                variable, default, required, non_null = what
                if variable not in coerced:
                    if required:
                        return None
                    if default is not Undefined:
                        values[out] = default
                    continue
                value = coerced[variable]
                if (value is None or value is Undefined) and non_null:
                    return None
                values[out] = value
            else:
                value_node, type_ = what
                value = coerce_input_literal(value_node, type_, variable_values)
                if value is Undefined:
                    return None
                values[out] = value
        return values
    return read
