"""A field's arguments converted to Python values exactly as Strawberry converts them
(``strawberry.types.arguments.convert_arguments``), with every decision on the types
taken once, when the field is planned (schema/plan.py).

Strawberry decides per request and per value what each argument's type is (Maybe,
Optional, list, scalar, enum, input object) and the GraphQL name of every field of an
input object: on the 2-hop query that is 30 calls and 75 ``isinstance`` checks against
abstract classes, more than the walk's own bookkeeping. Here a converter is made per
argument: nothing for a scalar or an enum (Strawberry returns those values as they
are), a copy for a list of them, an input object built from its fields' converters;
anything else (``Maybe``, ``GlobalID``, input types with ``from_input``) is converted by
Strawberry's own ``convert_argument``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

__all__ = ["arguments_converter"]

Convert = Callable[[Any, Any], Any]  # (value, info) -> the Python value


def arguments_converter(field: Any, strawberry_schema: Any
                        ) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    """Return ``convert(args, info)``: a Strawberry field's keyword arguments from the
    argument values graphql-core coerced, as Strawberry's ``convert_arguments``."""
    config = strawberry_schema.config
    registry = strawberry_schema.schema_converter.scalar_registry
    steps = []
    for argument in field.arguments:
        name = config.name_converter.from_argument(argument)
        steps.append((name, argument.python_name,
                      _converter(argument.type, registry, config, (name,))))

    def convert(value: Mapping[str, Any], info: Any) -> dict[str, Any]:
        kwargs = {}
        for name, python_name, each in steps:
            if name in value:
                given = value[name]
                kwargs[python_name] = given if each is None else each(given, info)
        return kwargs
    return convert


def _is_leaf(type_: Any, registry: Any) -> bool:
    """Strawberry's ``_is_leaf_type``, GlobalID left out (it is decoded)."""
    if type_ is GlobalID:
        return False
    if is_scalar(type_, registry) or isinstance(type_, StrawberryEnumDefinition):
        return True
    if isinstance(type_, LazyType):
        return _is_leaf(type_.resolve_type(), registry)
    return False


def _converter(type_: Any, registry: Any, config: Any, path: tuple[Any, ...]
               ) -> Convert | None:
    """Return how ``convert_argument`` converts a value of ``type_``: None when it
    returns the value as it is."""
    def strawberry_s(value: Any, info: Any) -> Any:
        return convert_argument(value, type_, registry, config, info, path=path)

    if isinstance(type_, StrawberryMaybe):
        return strawberry_s
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, registry, config, path)
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), registry, config, path)
    if isinstance(type_, StrawberryList):
        of = type_.of_type
        if _is_leaf(of, registry) or (isinstance(of, StrawberryOptional)
                                      and _is_leaf(of.of_type, registry)):
            def copied(value: Any, info: Any) -> Any:
                # (a list is copied: graphql-core shares its defaults between requests)
                return value if value is None or value is UNSET else list(value)
            return copied
        return strawberry_s
    if _is_leaf(type_, registry) or has_enum_definition(type_):
        return None
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if definition.from_input is not None or not definition.is_input:
            return strawberry_s
        defaults = {f.python_name: None for f in definition.fields
                    if f.default_value is MISSING and f.default_factory is MISSING}
        fields = []
        for f in definition.fields:
            name = config.name_converter.from_field(f)
            fields.append((name, f.python_name, _converter(
                f.resolve_type(type_definition=definition), registry, config, (*path, name))))

        def input_object(value: Any, info: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(defaults)
            for name, python_name, each in fields:
                if name in value:
                    given = value[name]
                    kwargs[python_name] = given if each is None else each(given, info)
            return type_(**kwargs)
        return input_object
    return strawberry_s
