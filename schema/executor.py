"""Queries run as plans (schema/plan.py): graphql-core's executor, replaying a plan.

:class:`PlannedExecutor` is the execution context Strawberry hands to graphql-core. For
a query executed synchronously (``Schema.execute_sync``: the HTTP view's worker
threads, ``newsgraph query``) it takes the operation's plan (schema/plan.py) and runs
it: fields without a resolver of their own are read straight off the object, resolvers
taking no arguments are called as Strawberry would call them, and the per-field hook of
:class:`schema.cost.Cost` (deadline, arguments, objects returned) runs for every field
as before, inlined for fields without arguments (the deadline read once per object for
the fields a compiled selection reads inline: schema/runner.py). Errors are made by the
executor's own methods (``handle_field_error``, ``ensure_valid_runtime_type``) at the
same places, so messages, paths, locations, nulls and masking are the standard
executor's (tests/test_plan.py compares the two on every query of the tests and docs;
a request cut by its deadline stops at the next object instead of the next field).

What the plan does not run, the standard executor does: mutations and subscriptions,
asynchronous execution (``Schema.execute``, subscriptions over WebSocket), ``@defer``
and ``@stream``, fragment arguments, an abort signal, the error-propagation-off
directive, any middleware other than :class:`~schema.cost.Cost`, and a request whose
context says ``"planned": False`` (as the benchmark's side-by-side rows do).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType, VariableDefinitionNode
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import graph
from schema.codes import BAD_USER_INPUT, OPERATION_RESOLUTION_FAILURE, with_code
from schema.complete import SyncFailure, close_awaitable, new_path
from schema.cost import Cost
from schema.limits import check_arguments
from schema.plan import (
    ATTRIBUTE,
    CALL,
    LEAF_ATTRIBUTE,
    NODE_ATTRIBUTE,
    NODE_LEAF,
    NODE_LINK,
    PLANS,
    RESOLVER,
    SYNC_FAILED,
    FieldPlan,
    Selection,
    plan_fields,
)
from schema.runner import compile_selection
from schema.textvalues import text_variable_errors

__all__ = ["CheckedExecutor", "PlannedExecutor"]


def _coded(error: GraphQLError) -> GraphQLError:
    """Give a variable's value error (one located at its definition) the code of an
    argument error, as newsgraph's own argument errors have (graph/errors.py); an error
    located nowhere (an unknown ``operationName``, several operations and none named:
    graphql-core finds no operation to run) OPERATION_RESOLUTION_FAILURE."""
    if not error.nodes:
        return with_code([error], OPERATION_RESOLUTION_FAILURE)[0]
    if all(isinstance(node, VariableDefinitionNode) for node in error.nodes):
        return with_code([error], BAD_USER_INPUT)[0]
    return error


class CheckedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, its variables checked as the schema's types say beyond
    graphql-core's coercion: the text of a String or ID variable is Unicode text, and a
    variable's value error carries an argument error's code."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        """graphql-core's build, which coerces the variables; then the text of the String
        and ID variables checked (schema/textvalues.py): a lone surrogate in one is
        refused as a variable of the wrong type is."""
        built = super().build(*args, **kwargs)
        if isinstance(built, list):  # graphql-core's errors
            return [_coded(error) for error in built]
        if built.operation.variable_definitions:
            errors = text_variable_errors(built.operation, built.variable_values.sources)
            if errors:
                return errors
        return built


class PlannedExecutor(CheckedExecutor):
    """graphql-core's executor, running queries executed synchronously as plans."""

    plans = PLANS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.planned = kwargs.pop("planned", False)
        super().__init__(*args, **kwargs)
        self.strawberry: Any = getattr(self.schema, "_strawberry_schema", None)
        self._cost: Cost | None = None
        context = self.context_value
        self._kg = context.get("kg") if isinstance(context, dict) else None
        # What compiled selections read (schema/runner.py), set when the plan runs.
        self.budget: Any = None
        self.deadline: float | None = None
        self.clock: Any = None
        self.kg: Any = None

    def execute_operation(self, serially: bool | None = None) -> Any:
        fields = self._root_plan() if self.planned and not serially else None
        if fields is None:
            return super().execute_operation(serially)
        budget = self._cost.budget if self._cost is not None else None
        self.budget, self.kg = budget, self._kg
        self.deadline = budget.walks.deadline if budget is not None else None
        self.clock = budget.walks.clock if budget is not None else None
        try:
            data = self.run_fields(fields, self.root_value, None)
        except SyncFailure:
            raise RuntimeError(SYNC_FAILED) from None
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        finally:
            # graphql-core's executor holds two of its own bound methods (for resolvers
            # that await): a cycle, with the request's cost and middleware hanging off it,
            # left for the collector every request. A plan runs synchronously, to the end.
            del self.async_helpers
        return self.finish(self.build_response(data))

    def _root_plan(self) -> Selection | None:
        """Return the plan of the operation's root selection; None when the standard
        executor must run it."""
        operation = self.operation
        context = self.context_value
        if isinstance(context, dict) and context.get("planned") is False:
            return None  # asked for the standard executor (benchmarks compare the two)
        if (operation.operation != OperationType.QUERY or self.abort_signal is not None
                or not self.error_propagation or not self._plain_middleware()):
            return None
        conditions, plans = self.plans.of(operation, self.fragment_definitions.values())
        if conditions is None:
            return None
        coerced = self.variable_values.coerced
        key = tuple(coerced.get(name) for name in conditions)
        found = plans.get(key)
        if found is None:
            root = self.schema.query_type
            if root is None:
                return None
            try:
                grouped = collect_fields(self.schema, self.fragments, self.variable_values,
                                         root, operation, self.hide_suggestions
                                         ).grouped_field_set
                found = plan_fields(self, root, grouped)
            except (RecursionError, GraphQLError):
                return None
            plans[key] = found
        return found

    def _plain_middleware(self) -> bool:
        manager = self.middleware_manager
        middlewares = manager.middlewares if manager is not None else ()
        if not middlewares:
            self._cost = None
            return True
        if len(middlewares) == 1 and type(middlewares[0]) is Cost:
            self._cost = middlewares[0]
            return True
        return False

    def run_fields(self, fields: Selection, source: Any, path: Path | None,
                   node: Any = None) -> Any:
        """Run a planned selection on one object; return its response map. ``node`` is
        the attributes of the graph node ``source`` views (schema/nodeview.py), if any:
        its fields are read from them directly. The selection runs compiled
        (schema/runner.py): each field as :meth:`run_field` runs it."""
        run = fields.run
        if run is None:
            run = fields.run = compile_selection(fields, self)
        return run(self, source, path, node)

    def run_field(self, field: FieldPlan, source: Any, path: Path | None, node: Any,
                  results: dict[str, Any]) -> None:
        """Run one planned field on one object, into its response map.

        Every field passes :class:`~schema.cost.Cost`'s per-field hook, inlined for
        fields without arguments: the deadline first, then the call (a walk stopped by
        the budget becomes the limit's error), then the objects returned are counted.
        """
        cost: Cost | None = self._cost
        budget = cost.budget if cost is not None else None
        walks = budget.walks if budget is not None else None
        how = field.how
        if how == NODE_LEAF or how == LEAF_ATTRIBUTE:
            try:
                if walks is not None and walks.deadline is not None \
                        and walks.clock() > walks.deadline:
                    raise budget.late()  # type: ignore[union-attr]
                if how == NODE_LEAF and node is not None:
                    result = field.read(node)
                else:
                    result = getattr(source, field.attribute)  # type: ignore[arg-type]
                if type(result) is field.as_is:
                    results[field.key] = result
                    return
                if self.is_awaitable(result):
                    close_awaitable(result)
                    raise SyncFailure
                field_path = new_path(Path, (path, field.key, field.parent.name))
                results[field.key] = field.complete(self, field_path, result, None)
            except SyncFailure:
                raise
            except Exception as error:  # noqa: BLE001 - every error is a field error
                field_path = new_path(Path, (path, field.key, field.parent.name))
                self.handle_field_error(error, field.type, field.details, field_path)
                results[field.key] = None
            return
        field_path = new_path(Path, (path, field.key, field.parent.name))
        try:
            info = None
            if how != RESOLVER and how != CALL:
                if walks is not None and walks.deadline is not None \
                        and walks.clock() > walks.deadline:
                    raise budget.late()  # type: ignore[union-attr]
                if node is not None and how == NODE_LINK and self._kg is not None:
                    result = field.link(self._kg, node)
                elif node is not None and how == NODE_ATTRIBUTE:
                    result = field.read(node)
                elif how == ATTRIBUTE or how == NODE_ATTRIBUTE:
                    result = getattr(source, field.attribute)  # type: ignore[arg-type]
                else:
                    info = self.build_resolve_info(field.definition, field.nodes,
                                                   field.parent, field_path)
                    result = self._call_method(field.method, source, info, budget)
                counted = field.counted
                if counted is not None and budget is not None:
                    if counted == "list" and isinstance(result, list | tuple):
                        budget.returned(len(result))
                    elif counted == "one" and result is not None:
                        budget.returned(1)
                # (a view's fields are read by its own functions: never awaitable)
                if how < NODE_LEAF and self.is_awaitable(result):
                    close_awaitable(result)
                    raise SyncFailure
            else:
                info = self.build_resolve_info(field.definition, field.nodes,
                                               field.parent, field_path)
                args = field.args
                if args is None and field.arguments is not None:
                    args = field.arguments(self.variable_values)
                if args is None:
                    first = field.details[0]
                    args = get_argument_values(field.definition, first.node,
                                               self.variable_values,
                                               first.fragment_variable_values,
                                               self.hide_suggestions)
                    if field.literal:
                        field.args = args
                if how == CALL:
                    result = self._call(field, source, info, args, cost)
                elif cost is not None:
                    result = cost.resolve(field.resolve, source, info, **args)
                else:
                    result = field.resolve(source, info, **args)
                if self.is_awaitable(result):
                    close_awaitable(result)
                    raise SyncFailure
            if info is None and field.needs_info:
                info = self.build_resolve_info(field.definition, field.nodes,
                                               field.parent, field_path)
            results[field.key] = field.complete(self, field_path, result, info)
        except SyncFailure:
            raise
        except Exception as error:  # noqa: BLE001 - every error is a field error
            self.handle_field_error(error, field.type, field.details, field_path)
            results[field.key] = None

    def _call(self, field: FieldPlan, source: Any, info: Any, args: dict[str, Any],
              cost: Cost | None) -> Any:
        """Run a plain resolver taking arguments as :meth:`Cost.resolve` runs Strawberry's:
        the deadline, the arguments' checks, then the call, its arguments converted as
        Strawberry converts them; then the objects returned are counted."""
        budget = cost.budget if cost is not None else None
        if cost is not None:
            cost.budget.check_time()
            if args:
                check_arguments(cost.settings, info.field_name, args)
        strawberry_info = self.strawberry.config.info_class(_raw_info=info, _field=field.method)
        result = self._call_method(field.method, source, info, budget,
                                   field.convert(args, strawberry_info), strawberry_info)
        counted = field.counted
        if counted is not None and budget is not None:
            if counted == "list" and isinstance(result, list | tuple):
                budget.returned(len(result))
            elif counted == "one" and result is not None:
                budget.returned(1)
        return result

    def _call_method(self, field: Any, source: Any, info: Any, budget: Any,
                     kwargs: dict[str, Any] | None = None, strawberry_info: Any = None
                     ) -> Any:
        """Call a Strawberry resolver as Strawberry calls it, with ``kwargs`` (its
        converted arguments) if any."""
        resolver = field.base_resolver
        args = [source] if resolver.self_parameter else []
        kwargs = dict(kwargs) if kwargs else {}
        for parameter in (resolver.parent_parameter, resolver.root_parameter):
            if parameter is not None:
                kwargs[parameter.name] = source
        if resolver.info_parameter is not None:
            kwargs[resolver.info_parameter.name] = (
                strawberry_info if strawberry_info is not None
                else self.strawberry.config.info_class(_raw_info=info, _field=field))
        try:
            return resolver.wrapped_func(*args, **kwargs)
        except graph.BudgetExceeded as e:  # a walk stopped midway, as Cost.resolve says
            if budget is None:
                raise
            raise budget.exceeded(e, info.field_name) from e
