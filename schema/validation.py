"""Validation that stops at the request's deadline.

graphql-core's OverlappingFieldsCanBeMerged compares the fields of one response name
two by two, inside one call per selection set: 150 fields of one name within every
token limit (`{ stats { edges nodes } stats { edges nodes } … }`, 3.3 KB) is ~11,000
comparisons and ~0.2 s of one thread, which no check between fields could stop.
graphql-core 3.3 counts each comparison against a complexity budget (``RuleContext.
remaining_complexity_budget``, spent two units a pair); :class:`OverlappingFieldsRule`
reads the request's deadline every :data:`CHECK_EVERY` units of it, through
:meth:`graph.budget.Budget.check_time` (which also paces a long validation through the
lane, schema/lanes.py), and raises ``BudgetExceeded`` once it has passed.

The walks' budget reaches the rule through :func:`deadline_of_validation`, set for the
duration of one validation (rules are classes that graphql-core instantiates, with no
request at hand); outside one, the rule is graphql-core's own. A validation stopped so
is not cached (schema/cache.py): the next request validates the document again.

Fields of one head in one selection set (the same alias, name and arguments: 150
copies of ``stats { edges nodes }``, 150 ``stats`` asking different counts, or 55 asking
under 55 ``@include`` variables) are compared once, not pair by pair (:func:`validate`):
the rule runs first over the document as it sees it, made smaller (:func:`folded`):
each fragment spread in place, once a selection set (75 fragments of one ``stats``
each were 2,775 comparisons), inline fragments of the set's own type opened into it,
and fields of one head made one field that selects all they selected. When that finds
no conflict, the whole document has none either: the rule compares two fields of one
head by what they select, pair against pair; one field selecting all of it is compared
within that selection, the same pairs, and every other field of the response name meets
it as it met each of them; a fragment's fields are compared as the set's own, which is
what spreading it in makes them. Only then do the other rules run over the whole
document alone. A document the folded check finds a conflict in is validated whole, as
graphql-core would, so its errors are the same. The pairs were the work, and the
hundreds of thousands of objects they make were scanned by every full collection
meanwhile, holding every request (serve36; fields whose selections differ, lead36;
fragments and directives, lead37).

What the rule still compares pair by pair (:class:`OverlappingFieldsRule`, gc38) it
reports as it finds: past the validation's error limit (100) the report raises and the
pairs after it are not compared, so 110 fields that conflict cost the 101 comparisons
of the errors answered, not 5,995 (graphql-core makes them all, then reports until the
limit). And fields of one *shape* in a selection set (the type they are selected on,
their head, and the texts of what they select in any order; no fragment spread within)
are compared as one: once two fields of two shapes merge, any two of those shapes do,
and each such pair is charged to graphql-core's complexity budget what the first cost.
So a document the folded check finds a conflict in, validated whole, no longer compares
its 148 copies, or 130 differing ``stats``, two by two. Fragments spread side by side
are still compared two by two there (graphql-core remembers the fragments it compared,
so a fragment's pairs are not of one shape): 70 of them beside one conflict is now the
costliest validation within the limits (~4,000 comparisons).

The validation itself (:func:`validate_document`) is graphql-core's ``validate``, run
here so that what it made can be unlinked as it ends: its visitors keep their own
bound methods in a map on themselves, one cycle a rule, ~600 objects a validation left
for the collector (gc38).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    assert_valid_schema,
    get_named_type,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    ParallelVisitor,
    SelectionSetNode,
    Visitor,
    visit,
)
from graphql.pyutils import RefMap
from graphql.utilities import TypeInfo, TypeInfoVisitor, type_from_ast
from graphql.validation import OverlappingFieldsCanBeMergedRule, ValidationContext
from graphql.validation.rules import overlapping_fields_can_be_merged as _overlapping
from graphql.validation.rules.overlapping_fields_can_be_merged import (
    Conflict,
    RuleContext,
    VariableScope,
)
from graphql.validation.validate import (
    FragmentNestingVisitor,
    ValidationAbortedError,
    query_document_keys_to_validate,
)
from graphql.validation.validation_context import VariableUsage, VariableUsageVisitor
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from graph.budget import Budget

__all__ = ["CHECK_EVERY", "OverlappingFieldsRule", "deadline_of_validation", "timed_rules",
           "folded", "validate"]

# Units of graphql-core's complexity budget between two readings of the clock: 128 field
# comparisons, ~2 ms of the worst document's work.
CHECK_EVERY = 256

_WALKS: ContextVar[Budget | None] = ContextVar("newsgraph_validation_walks", default=None)


@contextlib.contextmanager
def deadline_of_validation(walks: Budget | None) -> Iterator[None]:
    """Let the validations run inside this block stop at ``walks``' deadline."""
    token = _WALKS.set(walks)
    try:
        yield
    finally:
        _WALKS.reset(token)


class _TimedRuleContext(RuleContext):
    """graphql-core's rule state, whose complexity budget reads the deadline as it is
    spent."""

    def __init__(self, walks: Budget) -> None:
        self._walks = walks
        self._next_check = float("inf")
        super().__init__()

    @property
    def remaining_complexity_budget(self) -> int:
        return self._remaining

    @remaining_complexity_budget.setter
    def remaining_complexity_budget(self, value: int) -> None:
        self._remaining = value
        if value <= self._next_check:
            self._next_check = value - CHECK_EVERY
            self._walks.check_time()


class OverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's OverlappingFieldsCanBeMerged, stopped by the deadline of the
    validation it runs in (:func:`deadline_of_validation`) with ``BudgetExceeded``."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        walks = _WALKS.get()
        if walks is not None:
            self.rule_context = _TimedRuleContext(walks)

    def enter_selection_set(self, selection_set: SelectionSetNode, _key: Any, parent: Any,
                            *_args: Any) -> None:
        """graphql-core's, each conflict reported as it is found: past the validation's
        error limit the report raises, and the pairs after it are not compared."""
        if isinstance(parent, InlineFragmentNode):
            return
        selections = selection_set.selections
        if len(selections) <= 1 and not (
                selections and isinstance(selections[0], InlineFragmentNode)):
            return
        for response_name, reason, fields1, fields2 in _conflicts_within(
                self.context, self.rule_context, self.context.get_parent_type(),
                selection_set, self.fragment_scope):
            self.report_error(GraphQLError(
                f"Fields '{_overlapping.maybe_abbreviate(response_name)}'"
                f" conflict because {reason}."
                " Use different aliases on the fields to fetch both"
                " if this was intentional.", fields1 + fields2))


def _conflicts_within(context: ValidationContext, rule_context: RuleContext,
                      parent_type: GraphQLNamedType | None, selection_set: SelectionSetNode,
                      scope: VariableScope | None) -> Iterator[Conflict]:
    """graphql-core's ``find_conflicts_within_selection_set``, in its order, the pairs
    of one response name yielded as they are compared; and fields of one shape
    (:func:`_shape`) compared as one: once two fields of two shapes (or of one) merge,
    any two of those shapes do, and each such pair is charged to the rule's budget what
    the first cost (the same work: nothing the rule remembers is shared between them)."""
    collected = _overlapping.collect_fields(context, rule_context, parent_type,
                                            selection_set)
    for response_name, fields in collected.grouped_field_set.items():
        if len(fields) < 2:
            continue
        shapes = [_shape(f.node, f.parent_type) for f in fields]
        merging: dict[tuple[Any, Any], int] = {}  # two shapes -> what comparing cost
        for i, first in enumerate(fields):
            for j in range(i + 1, len(fields)):
                shaped = shapes[i] is not None and shapes[j] is not None
                cost = merging.get((shapes[i], shapes[j])) if shaped else None
                if cost is not None:
                    _overlapping.spend_complexity_budget(rule_context, cost)
                    continue
                before = rule_context.remaining_complexity_budget
                conflict = _overlapping.find_conflict(
                    context, rule_context, False, response_name, first, scope, fields[j],
                    scope)
                if conflict:
                    yield conflict
                elif shaped:
                    merging[shapes[i], shapes[j]] = \
                        before - rule_context.remaining_complexity_budget
    conflicts: list[Conflict] = []
    spreads = collected.spreads
    if spreads and (collected.grouped_field_set or len(spreads) > 1):
        fragment_spreads = _overlapping.get_fragment_spreads(context, rule_context,
                                                             collected, scope)
        for i, fragment_spread in enumerate(fragment_spreads):
            _overlapping.collect_conflicts_between_fields_and_fragment(
                context, rule_context, conflicts, False, collected, scope, fragment_spread)
            for other in fragment_spreads[i + 1:]:
                _overlapping.collect_conflicts_between_fragments(
                    context, rule_context, conflicts, False, fragment_spread, other)
    yield from conflicts


def _shape(field: FieldNode, parent: GraphQLNamedType | None) -> Any:
    """All the rule reads of ``field`` to tell whether it merges with another: the type
    it is selected on, its head (:func:`_head`) and the text of each selection in it, in
    any order (the rule compares what two fields select pair by pair: which pairs, not
    in what order). None when a fragment spread within makes what the rule compares
    depend on what it compared before (it remembers the fragments it compared)."""
    if field.selection_set is None:
        return parent, _head(field), ()
    stack = [field.selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                return None
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                stack.append(inner)
    return parent, _head(field), tuple(sorted(_selection_key(s)
                                              for s in field.selection_set.selections))


def timed_rules(rules: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``rules`` with graphql-core's OverlappingFieldsCanBeMerged replaced by
    :class:`OverlappingFieldsRule` (the same answers; it stops at the deadline)."""
    return tuple(OverlappingFieldsRule if rule is OverlappingFieldsCanBeMergedRule else rule
                 for rule in rules)


def validate(schema: Any, document: DocumentNode, rules: tuple[Any, ...]
             ) -> list[GraphQLError]:
    """Return the errors of ``document`` under ``rules`` (graphql-core's, in its order),
    comparing the copies of a field once (see the module docstring)."""
    few = folded(document, schema)
    if few is document or OverlappingFieldsRule not in rules:
        return validate_document(schema, document, rules)
    # Whether the folded document has a conflict: the first one found will do.
    if validate_document(schema, few, (OverlappingFieldsRule,), max_errors=0):
        return validate_document(schema, document, rules)
    return validate_document(schema, document,
                             tuple(r for r in rules if r is not OverlappingFieldsRule))


def validate_document(schema: GraphQLSchema, document: DocumentNode,
                      rules: tuple[Any, ...], max_errors: int = 100) -> list[GraphQLError]:
    """Strawberry's ``validate_document`` (graphql-core's ``validate`` with Strawberry's
    two rules after ``rules``) leaving no cycle behind: each visitor keeps what it calls
    for each kind of node, its own bound methods among them, in a map on itself, and
    every rule refers to the validation's context; left linked, one validation was ~600
    objects of cyclic garbage (lead37, gc38), freed only when the collector runs, which
    holds every request while it scans. The maps are emptied as the validation ends."""
    assert_valid_schema(schema)
    errors: list[GraphQLError] = []
    type_info = TypeInfo(schema)

    def on_error(error: GraphQLError) -> None:
        if len(errors) >= max_errors:
            raise ValidationAbortedError(
                "Too many validation errors, error limit reached. Validation aborted.")
        errors.append(error)

    context = _Context(schema, document, type_info, on_error)
    visitors: list[Visitor] = [rule(context) for rule in
                               (*rules, MaybeNullValidationRule, OneOfInputValidationRule)]
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    if fragments:
        visitors.insert(0, FragmentNestingVisitor(fragments))
    parallel = ParallelVisitor(visitors)
    typed = TypeInfoVisitor(type_info, parallel)
    try:
        visit(document, typed, query_document_keys_to_validate)
    except ValidationAbortedError as error:
        error.__context__ = None
        errors.append(error.with_traceback(None))
    except RecursionError:
        errors.append(ValidationAbortedError("Validation aborted."))
    finally:
        for visitor in (*visitors, parallel, typed):
            visitor.enter_leave_map.clear()
    return errors


class _Context(ValidationContext):
    """graphql-core's, whose walk for the variables an operation or fragment uses (the
    rules on variables ask it) leaves no cycle behind either, and whose walks are kept by
    the node's identity: graphql-core keeps them in dicts keyed by the node, whose hash
    (a frozen dataclass's) walks the whole operation every time it is asked (110 fields:
    12,000 hashes a validation, a third of its time). The nodes of a parsed document are
    never equal unless identical (each holds its place in the text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._variable_usages: Any = RefMap()
        self._recursive_variable_usages: Any = RefMap()

    def get_variable_usages(self, node: Any) -> list[VariableUsage]:
        usages = self._variable_usages.get(node)
        if usages is None:
            usage_visitor = VariableUsageVisitor(
                self._type_info, node if isinstance(node, FragmentDefinitionNode) else None)
            typed = TypeInfoVisitor(self._type_info, usage_visitor)
            try:
                visit(node, typed)
            finally:
                usage_visitor.enter_leave_map.clear()
                typed.enter_leave_map.clear()
            usages = self._variable_usages[node] = usage_visitor.usages
        return usages


# Selections a folded document may hold before folding gives up (the document is then
# validated as it is): the expanded-fields limit (schema/fanout.py) refuses documents of
# more than 10,000 fields, and a fragment is spread once a selection set here.
MAX_FOLDED = 20_000


class _TooBig(Exception):
    pass


def folded(document: DocumentNode, schema: GraphQLSchema | None = None) -> DocumentNode:
    """Return ``document`` as OverlappingFieldsCanBeMerged sees it, made smaller: each
    fragment spread in place (once a selection set; a spread within the fragment itself,
    of an unknown fragment, or with arguments, is left to the rule), the selections of
    inline fragments whose type is the selection set's own (known with ``schema``) made
    the set's, those of one type made one, and the fields of one head (the same alias,
    name, arguments and directives, however spaced) made one, selecting what they all
    selected, folded again within. The document itself when nothing changes."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for d in document.definitions:
        if isinstance(d, FragmentDefinitionNode):
            if d.name.value in fragments:  # two of one name: the rule's, not spread here
                fragments = {}
                break
            fragments[d.name.value] = d
    folder = _Folder(schema, fragments)
    definitions = []
    changed = False
    try:
        for d in document.definitions:
            if isinstance(d, OperationDefinitionNode):
                inner = folder.fold(d.selection_set, _root(schema, d), frozenset())
            elif isinstance(d, FragmentDefinitionNode):
                inner = folder.fold(d.selection_set, folder.type_of(d.type_condition),
                                   frozenset({d.name.value}))
            else:
                definitions.append(d)
                continue
            if inner is not d.selection_set:
                d = _with(d, inner)
                changed = True
            definitions.append(d)
    except _TooBig:
        return document
    return DocumentNode(definitions=tuple(definitions), loc=document.loc) if changed \
        else document


def _root(schema: GraphQLSchema | None, operation: OperationDefinitionNode
          ) -> GraphQLNamedType | None:
    return schema.get_root_type(operation.operation) if schema is not None else None


class _Folder:
    """One document's folding: its fragments by name, and the selections made so far."""

    def __init__(self, schema: GraphQLSchema | None,
                 fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.made = 0

    def type_of(self, condition: NamedTypeNode | None) -> GraphQLNamedType | None:
        if condition is None or self.schema is None:
            return None
        found = type_from_ast(self.schema, condition)
        return found if isinstance(found, GraphQLNamedType) else None

    def fold(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None,
            inside: frozenset[str]) -> SelectionSetNode:
        """``selection_set`` folded; ``parent`` its type (None: unknown), ``inside`` the
        fragments it stands in."""
        flat: list[tuple[Any, frozenset[str]]] = []
        changed = self._flatten(selection_set.selections, parent, inside, flat, set())
        kept: list[Any] = []
        within: list[frozenset[str]] = []  # the fragments each kept selection stands in
        heads: dict[Any, int] = {}  # a field's head, or an inline fragment's type name
        merged: dict[int, list[Any]] = {}  # -> where in `kept` its first one stands
        for selection, its in flat:
            if isinstance(selection, FieldNode):
                head: Any = _head(selection)
            elif isinstance(selection, InlineFragmentNode):
                head = ("...", selection.type_condition.name.value
                        if selection.type_condition else None)
            else:
                kept.append(selection)
                within.append(its)
                continue
            at = heads.get(head)
            if at is not None:
                changed = True
                within[at] |= its
                if selection.selection_set is not None:
                    merged.setdefault(at, list(kept[at].selection_set.selections)).extend(
                        selection.selection_set.selections)
                continue
            heads[head] = len(kept)
            kept.append(selection)
            within.append(its)
        for at, selections in merged.items():
            node = kept[at]
            kept[at] = _with(node, SelectionSetNode(selections=tuple(selections),
                                                    loc=node.selection_set.loc))
        out = []
        for selection, its in zip(kept, within, strict=True):
            if isinstance(selection, FieldNode | InlineFragmentNode) \
                    and selection.selection_set is not None:
                inner = self.fold(selection.selection_set, self._inner(selection, parent), its)
                if inner is not selection.selection_set:
                    selection = _with(selection, inner)
                    changed = True
            out.append(selection)
        self.made += len(out)
        if self.made > MAX_FOLDED:
            raise _TooBig
        return SelectionSetNode(selections=tuple(out), loc=selection_set.loc) if changed \
            else selection_set

    def _flatten(self, selections: Any, parent: GraphQLNamedType | None,
                 inside: frozenset[str], flat: list[tuple[Any, frozenset[str]]],
                 spread: set[str]) -> bool:
        """Add ``selections`` to ``flat``, fragments spread in and inline fragments of
        ``parent``'s type opened; return whether anything was."""
        changed = False
        for selection in selections:
            its = inside
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in inside or selection.arguments \
                        or fragment.variable_definitions:
                    flat.append((selection, inside))  # the rule's own to resolve
                    continue
                changed = True
                if name in spread:  # the same fields again: nothing new to compare
                    continue
                spread.add(name)
                its = inside | {name}
                selection = InlineFragmentNode(type_condition=fragment.type_condition,
                                               directives=(), loc=selection.loc,
                                               selection_set=fragment.selection_set)
            if isinstance(selection, InlineFragmentNode) and (
                    selection.type_condition is None or parent is not None
                    and selection.type_condition.name.value == parent.name):
                # the rule collects its fields as the set's own (its directives unread)
                self._flatten(selection.selection_set.selections, parent, its, flat, spread)
                changed = True
                continue
            flat.append((selection, its))
        return changed

    def _inner(self, selection: FieldNode | InlineFragmentNode,
               parent: GraphQLNamedType | None) -> GraphQLNamedType | None:
        """The type of what ``selection`` selects, as the rule reads it."""
        if isinstance(selection, InlineFragmentNode):
            return self.type_of(selection.type_condition) if selection.type_condition \
                else parent
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field = parent.fields.get(selection.name.value)
            if field is not None:
                return get_named_type(field.type)
        return None


def _head(field: FieldNode) -> Any:
    """A field without its place in the text or what it selects: its alias, name,
    arguments and ``@stream``, and whether it selects anything. Two fields of one head
    merge when what both select merges, as one field selecting all of it. The rule reads
    no other directive (``@include``, ``@skip``, ``@deprecated`` ...), so fields that
    differ only in those are of one head."""
    return (field.alias.value if field.alias else None, field.name.value,
            _arguments(field.arguments),
            tuple(_arguments(d.arguments) for d in field.directives or ()
                  if d.name.value == "stream"),
            field.selection_set is None)


def _arguments(arguments: Any) -> tuple[tuple[str, str], ...]:
    """Arguments by name and value as the rule compares them (its ``comparison_key``:
    the value's structure, an object's fields ordered by name). (``print_ast`` would do
    as well, but leaves each of its buffers in a cycle for the collector.)"""
    return tuple((a.name.value, json.dumps(_overlapping.get_value_structure(a.value, []),
                                           separators=(",", ":"), ensure_ascii=False))
                 for a in arguments or ())


def _selection_key(selection: Any) -> str:
    """What the rule reads of one selection (a field or an inline fragment, no spread
    within: :func:`_shape`), as one string."""
    inner = getattr(selection, "selection_set", None)
    within = [_selection_key(s) for s in inner.selections] if inner is not None else []
    if isinstance(selection, FieldNode):
        return repr((_head(selection), within))
    condition = selection.type_condition
    return repr(("...", condition.name.value if condition else None, within))


def _with(node: Any, selection_set: SelectionSetNode) -> Any:
    """``node`` (frozen) made again with another selection set."""
    return type(node)(**{k: getattr(node, k) for k in node.keys if k != "selection_set"},
                      selection_set=selection_set)
