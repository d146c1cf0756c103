"""Reading stripe-python's generated resource classes: their resolved type hints, the values of
their ``Literal[...]`` statuses, and a check that a JSON object fits its class. Shared by the fake
Stripe's fidelity tests and the status-table tests (tests/test_stripe_statuses.py)."""

import ast
import inspect
import re
import sys
import typing

import stripe


def resolved_hints(cls):
    """cls's own annotations, resolved (names imported under TYPE_CHECKING included)."""
    module = sys.modules[cls.__module__]
    # ExpandableField's forward reference names StripeObject, which not every module imports.
    namespace = {"StripeObject": stripe.StripeObject, **vars(module)}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            exec(compile(ast.Module(node.body, []), module.__file__, "exec"), namespace)
    hints = typing.get_type_hints(cls, globalns=namespace)
    return {name: hints[name] for name in cls.__annotations__ if name != "OBJECT_NAME"}


def literal_values(hint):
    """Every value of the Literal[...] inside a hint (empty if it has none)."""
    if typing.get_origin(hint) is typing.Literal:
        return set(typing.get_args(hint))
    return set().union(*(literal_values(arg) for arg in typing.get_args(hint)))


def check_value(hint, value, where):
    """Assert `value` fits `hint`: null only where Optional, Literal values only, the right
    JSON type, and nested objects checked field by field against their class."""
    args = typing.get_args(hint) if typing.get_origin(hint) is typing.Union else (hint,)
    if value is None:
        assert type(None) in args, f"{where} is null but not Optional"
        return
    literals = literal_values(hint)
    if literals and isinstance(value, str):
        assert value in literals, f"{where} = {value!r} is not one of {sorted(literals)}"
    classes = [arg for arg in args if isinstance(arg, type) and issubclass(arg, stripe.StripeObject)]
    if isinstance(value, dict) and classes:
        named = [cls for cls in classes if getattr(cls, "OBJECT_NAME", None) == value.get("object")]
        check_object((named or classes)[0], value, where)
        return
    if isinstance(value, list):
        [item_hint] = typing.get_args(next(arg for arg in args if typing.get_origin(arg) is list))
        for index, item in enumerate(value):
            check_value(item_hint, item, f"{where}[{index}]")
        return
    expected = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}
    allowed = [kind for arg in args for kind in expected.get(arg, ())]
    if allowed and not any(typing.get_origin(arg) is typing.Literal for arg in args):
        assert isinstance(value, tuple(allowed)) and not (bool not in allowed and isinstance(value, bool)), (
            f"{where} = {value!r} is not {allowed}"
        )


def check_object(cls, obj, where):
    """Every key is a field of `cls`, every non-Optional field is present, values fit."""
    hints = resolved_hints(cls)
    for key, value in obj.items():
        assert key in hints, f"{where}.{key} is not a field of stripe {cls.__qualname__}"
        check_value(hints[key], value, f"{where}.{key}")
    for key, hint in hints.items():
        optional = typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)
        assert optional or key in obj, f"{where} lacks {cls.__qualname__}.{key}"


def documented_values(cls, field):
    """The backticked values of a field's docstring in stripe-python's source, for the fields it
    types as plain ``str`` (Refund.status, Payout.status): "This can be `pending`, ..."."""
    source = ast.parse(inspect.getsource(cls))
    body = source.body[0].body
    for index, node in enumerate(body[:-1]):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == field:
            doc = body[index + 1]
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                return set(re.findall(r"`([a-z_]+)`", doc.value.value))
    return set()


def declared_values(cls, field):
    """The values stripe-python declares for ``cls.field``: its Literal, else its docstring's list."""
    return literal_values(resolved_hints(cls)[field]) or documented_values(cls, field)
