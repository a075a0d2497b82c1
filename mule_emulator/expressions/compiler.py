"""Turns a MEL syntax tree into a tree of closures: parse once, evaluate many.

Every node becomes ``fn(ctx, local_vars) -> value``. Names MEL resolves statically
(``payload``, ``message.id``, ``flowVars.x``, ``app.name`` ...) are checked here, so a
misspelt context property is a compile-time error; values (maps, strings, stand-ins) are
only known at run time and are checked then.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from mule_emulator.errors import UnsupportedError
from mule_emulator.expressions import syntax as ast
from mule_emulator.expressions.errors import ExpressionRuntimeError, ExpressionSyntaxError
from mule_emulator.expressions.functions import (
    STATIC_METHODS,
    constructor_for,
    date_time,
    describe_args,
    regex,
    wildcard,
)
from mule_emulator.expressions.java_types import JavaClass, is_instance, qualify
from mule_emulator.expressions.maps import put_property
from mule_emulator.expressions.members import (
    call_method,
    get_index,
    get_property,
    java_regex,
    set_index,
    set_property,
)
from mule_emulator.expressions.values import (
    EMPTY,
    add,
    as_condition,
    compare,
    contains,
    divide,
    java_equals,
    multiply,
    negate,
    remainder,
    subtract,
    type_label,
)

Fn = Callable[[Any, dict[str, Any]], Any]

# MEL name -> attribute of ``MessageView``
MESSAGE_PROPERTIES = {
    "id": "id",
    "rootId": "root_id",
    "correlationId": "correlation_id",
    "correlationSequence": "correlation_sequence",
    "correlationGroupSize": "correlation_group_size",
    "replyTo": "reply_to",
    "dataType": "data_type",
    "encoding": "encoding",
    "payload": "payload",
    "inboundProperties": "inbound_properties",
    "outboundProperties": "outbound_properties",
    "inboundAttachments": "inbound_attachments",
    "outboundAttachments": "outbound_attachments",
    "exception": "exception",
}
CONTEXT_PROPERTIES = {
    "flow": frozenset({"name"}),
    "app": frozenset({"name", "encoding", "workDir", "standalone", "registry"}),
    "mule": frozenset({"version", "home", "clusterId", "nodeId"}),
    "server": frozenset(
        {
            "host",
            "ip",
            "dateTime",
            "timeZone",
            "locale",
            "tmpDir",
            "fileSeparator",
            "env",
            "systemProperties",
            "osName",
            "osArch",
            "osVersion",
            "javaVersion",
            "javaVendor",
            "userName",
            "userHome",
            "userDir",
        }
    ),
}
ROOTS: dict[str, Fn] = {
    "payload": lambda c, lv: c.payload,
    "message": lambda c, lv: c.message,
    "flowVars": lambda c, lv: c.flow_vars,
    "sessionVars": lambda c, lv: c.session_vars,
    "exception": lambda c, lv: c.exception,
    "flow": lambda c, lv: c.flow,
    "app": lambda c, lv: c.app,
    "server": lambda c, lv: c.server,
    "mule": lambda c, lv: c.mule,
}
# MEL functions other Mule modules declare (refused by name, never silently).
MODULE_FUNCTIONS = {
    "xpath": "the XML module (mule-module-xml)",
    "xpath3": "the XML module (mule-module-xml)",
    "oauthContext": "the OAuth2 module (mule-module-oauth)",
    "dbCreateArray": "the Database connector",
    "dbCreateStruct": "the Database connector",
}
_SCOPE_MAPS = frozenset({"inboundProperties", "outboundProperties"})

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": remainder,
    "==": java_equals,
    "!=": lambda a, b: not java_equals(a, b),
    "<": lambda a, b: compare(a, b, "<"),
    ">": lambda a, b: compare(a, b, ">"),
    "<=": lambda a, b: compare(a, b, "<="),
    ">=": lambda a, b: compare(a, b, ">="),
    "contains": contains,
}


def _null_error(what: str) -> ExpressionRuntimeError:
    return ExpressionRuntimeError(f"NullPointerException: {what} on a null value")


class Compiler:
    """Compiles one syntax tree; ``uses_locals`` tells whether it assigns local variables."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.uses_locals = False

    def error(self, node: ast.Node, reason: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(reason, self.text, node.pos + 1)

    def compile(self, node: ast.Node) -> Fn:
        method = getattr(self, "c_" + type(node).__name__)
        fn: Fn = method(node)
        return fn

    # leaves -------------------------------------------------------------------------
    def c_Literal(self, node: ast.Literal) -> Fn:
        value = node.value
        return lambda c, lv: value

    def c_ClassRef(self, node: ast.ClassRef) -> Fn:
        value = JavaClass(node.name)
        return lambda c, lv: value

    def c_Name(self, node: ast.Name) -> Fn:
        root = ROOTS.get(node.name)
        if root is not None:
            return root
        name = node.name

        def variable(c: Any, lv: dict[str, Any]) -> Any:
            if name in lv:
                return lv[name]
            flow_vars = c.flow_vars
            if name in flow_vars:
                return flow_vars[name]
            session_vars = c.session_vars
            if name in session_vars:
                return session_vars[name]
            raise ExpressionRuntimeError(
                f"unresolvable property or identifier: {name} (not a flow or session variable)"
            )

        return variable

    # navigation ---------------------------------------------------------------------
    def c_Member(self, node: ast.Member) -> Fn:
        target, name = node.target, node.name
        if isinstance(target, ast.Name) and target.name in ROOTS:
            special = self._root_member(target.name, node)
            if special is not None:
                return special
        get_target = self.compile(target)
        null_safe = node.null_safe

        def member(c: Any, lv: dict[str, Any]) -> Any:
            value = get_target(c, lv)
            if value is None:
                if null_safe:
                    return None
                raise _null_error(f"reading property '{name}'")
            return get_property(value, name)

        return member

    def _root_member(self, root: str, node: ast.Member) -> Fn | None:
        name = node.name
        if root == "payload":
            return None
        if root == "message":
            attr = MESSAGE_PROPERTIES.get(name)
            if attr is None:
                raise self.error(
                    node, f"message has no property {name!r} (known: "
                    f"{', '.join(sorted(MESSAGE_PROPERTIES))})",
                )  # fmt: skip
            if attr == "payload":
                return ROOTS["payload"]
            getter = attrgetter(attr)
            return lambda c, lv: getter(c.message)
        if root in ("flowVars", "sessionVars"):
            scope = attrgetter("flow_vars" if root == "flowVars" else "session_vars")
            return lambda c, lv: scope(c).get(name)
        if root in CONTEXT_PROPERTIES:
            if name not in CONTEXT_PROPERTIES[root]:
                raise self.error(
                    node, f"{root} has no property {name!r} (known: "
                    f"{', '.join(sorted(CONTEXT_PROPERTIES[root]))})",
                )  # fmt: skip
            get_root = ROOTS[root]
            return lambda c, lv: get_root(c, lv).mel_property(name)
        return None

    def c_Index(self, node: ast.Index) -> Fn:
        get_target = self.compile(node.target)
        get_index_value = self.compile(node.index)

        def index(c: Any, lv: dict[str, Any]) -> Any:
            value = get_target(c, lv)
            if value is None:
                raise _null_error("indexing")
            return get_index(value, get_index_value(c, lv))

        return index

    def c_Call(self, node: ast.Call) -> Fn:
        args = [self.compile(arg) for arg in node.args]
        if node.target is None:
            return self._function(node, args)
        name, target = node.name, node.target
        if isinstance(target, ast.Name) and target.name == "message":
            if name != "payloadAs":
                raise self.error(node, f"message has no method {name!r} (only payloadAs)")
            return self._payload_as(node, args)
        if isinstance(target, ast.Name) and target.name in ("flow", "app", "mule"):
            raise self.error(node, f"{target.name} has no method {name!r}")
        if name in ("put", "remove") and self._is_scope_map(target):
            return self._scope_put(node, args)
        get_target = self.compile(target)
        null_safe = node.null_safe

        def call(c: Any, lv: dict[str, Any]) -> Any:
            value = get_target(c, lv)
            if value is None:
                if null_safe:
                    return None
                raise _null_error(f"calling {name}()")
            return call_method(value, name, [arg(c, lv) for arg in args])

        return call

    def _function(self, node: ast.Call, args: list[Fn]) -> Fn:
        name = node.name
        if name == "dateTime":
            return lambda c, lv: date_time([arg(c, lv) for arg in args])
        if name in ("regex", "wildcard"):
            function = regex if name == "regex" else wildcard

            def call(c: Any, lv: dict[str, Any]) -> Any:
                return function(lambda: c.message.payload_text(), [arg(c, lv) for arg in args])

            return call
        if name in MODULE_FUNCTIONS:
            raise UnsupportedError(
                f"MEL function {name}() in {self.text!r} belongs to {MODULE_FUNCTIONS[name]}, "
                "which mule-emu does not emulate"
            )
        raise self.error(node, f"unknown function {name}() (MEL has regex, wildcard, dateTime)")

    def _payload_as(self, node: ast.Call, args: list[Fn]) -> Fn:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.ClassRef):
            raise self.error(node, "payloadAs() takes one class, e.g. payloadAs(java.lang.String)")
        wanted = qualify(node.args[0].name)
        if wanted == "java.lang.String":
            return lambda c, lv: c.message.payload_text()
        if wanted == "byte[]":
            return lambda c, lv: c.message.payload_text().encode(c.message.encoding)

        def convert(c: Any, lv: dict[str, Any]) -> Any:
            value = c.payload
            if value is None or is_instance(value, wanted):
                return value
            raise ExpressionRuntimeError(
                f"TransformerException: no conversion from {type_label(value)} to {wanted}"
            )

        return convert

    def _is_scope_map(self, node: ast.Node) -> bool:
        if isinstance(node, ast.Name):
            return node.name in ("flowVars", "sessionVars")
        return (
            isinstance(node, ast.Member)
            and isinstance(node.target, ast.Name)
            and node.target.name == "message"
            and node.name in _SCOPE_MAPS
        )

    def _scope_put(self, node: ast.Call, args: list[Fn]) -> Fn:
        get_map = self.compile(node.target)  # type: ignore[arg-type]
        if (node.name == "put" and len(args) != 2) or (node.name == "remove" and len(args) != 1):
            raise self.error(node, f"{node.name}() takes {2 if node.name == 'put' else 1} args")
        if node.name == "remove":
            key_fn = args[0]
            return lambda c, lv: put_property(get_map(c, lv), key_fn(c, lv), None)
        key_fn, value_fn = args
        return lambda c, lv: put_property(get_map(c, lv), key_fn(c, lv), value_fn(c, lv))

    def c_StaticCall(self, node: ast.StaticCall) -> Fn:
        method = STATIC_METHODS.get((node.class_name, node.name))
        if method is None:
            raise self.error(
                node, f"static method {node.class_name}.{node.name}() is outside the subset"
            )
        args = [self.compile(arg) for arg in node.args]
        label = f"{node.class_name}.{node.name}"

        def static(c: Any, lv: dict[str, Any]) -> Any:
            values = [arg(c, lv) for arg in args]
            try:
                return method(*values)
            except TypeError as exc:
                raise ExpressionRuntimeError(f"no method {label}({describe_args(values)})") from exc

        return static

    def c_New(self, node: ast.New) -> Fn:
        found = constructor_for(node.class_name)
        if found is None:
            raise self.error(node, f"'new {node.class_name}' is outside the emulated subset")
        qualified, factory = found
        args = [self.compile(arg) for arg in node.args]

        def new(c: Any, lv: dict[str, Any]) -> Any:
            values = [arg(c, lv) for arg in args]
            try:
                return factory(*values)
            except TypeError as exc:
                raise ExpressionRuntimeError(
                    f"no constructor {qualified}({describe_args(values)})"
                ) from exc

        return new

    # operators ----------------------------------------------------------------------
    def c_Unary(self, node: ast.Unary) -> Fn:
        operand = self.compile(node.operand)
        if node.op == "!":
            return lambda c, lv: not as_condition(operand(c, lv), "operand of '!'")
        return lambda c, lv: negate(operand(c, lv))

    def c_Binary(self, node: ast.Binary) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op == "&&":
            return lambda c, lv: (
                as_condition(left(c, lv), "left of '&&'")
                and as_condition(right(c, lv), "right of '&&'")
            )
        if op == "||":
            return lambda c, lv: (
                as_condition(left(c, lv), "left of '||'")
                or as_condition(right(c, lv), "right of '||'")
            )
        if op == "~=":

            def matches(c: Any, lv: dict[str, Any]) -> bool:
                value, pattern = left(c, lv), right(c, lv)
                if value is None or pattern is None:
                    return False
                return java_regex(str(pattern)).fullmatch(str(value)) is not None

            return matches
        if op in ("==", "!=") and isinstance(node.right, ast.Literal):
            return self._compare_literal(left, node.right.value, op == "==")
        function = _BINARY[op]
        return lambda c, lv: function(left(c, lv), right(c, lv))

    @staticmethod
    def _compare_literal(left: Fn, literal: Any, equal: bool) -> Fn:
        """``x == 'text'`` / ``x == null``: the common case without the generic path."""
        if literal is None:
            if equal:
                return lambda c, lv: left(c, lv) is None
            return lambda c, lv: left(c, lv) is not None
        if isinstance(literal, str) and literal is not EMPTY:

            def equals_text(c: Any, lv: dict[str, Any]) -> bool:
                value = left(c, lv)
                same = value == literal if type(value) is str else java_equals(value, literal)
                return same if equal else not same

            return equals_text
        if equal:
            return lambda c, lv: java_equals(left(c, lv), literal)
        return lambda c, lv: not java_equals(left(c, lv), literal)

    def c_Ternary(self, node: ast.Ternary) -> Fn:
        condition = self.compile(node.condition)
        then, otherwise = self.compile(node.then), self.compile(node.otherwise)
        return lambda c, lv: (
            then(c, lv) if as_condition(condition(c, lv), "ternary condition") else otherwise(c, lv)
        )

    def c_IsType(self, node: ast.IsType) -> Fn:
        value, class_name = self.compile(node.value), qualify(node.class_name)
        return lambda c, lv: is_instance(value(c, lv), class_name)

    def c_ListLiteral(self, node: ast.ListLiteral) -> Fn:
        items = [self.compile(item) for item in node.items]
        return lambda c, lv: [item(c, lv) for item in items]

    def c_MapLiteral(self, node: ast.MapLiteral) -> Fn:
        entries = [(self.compile(k), self.compile(v)) for k, v in node.entries]
        return lambda c, lv: {key(c, lv): value(c, lv) for key, value in entries}

    def c_Block(self, node: ast.Block) -> Fn:
        statements = [self.compile(statement) for statement in node.statements]

        def block(c: Any, lv: dict[str, Any]) -> Any:
            result = None
            for statement in statements:
                result = statement(c, lv)
            return result

        return block

    # assignment ---------------------------------------------------------------------
    def c_Assign(self, node: ast.Assign) -> Fn:
        value = self.compile(node.value)
        if node.op != "=":
            current = self.compile(node.target)
            function = _BINARY[node.op[0]]
            plain = value

            def value(c: Any, lv: dict[str, Any]) -> Any:
                return function(current(c, lv), plain(c, lv))

        store = self.assigner(node.target)

        def assign(c: Any, lv: dict[str, Any]) -> Any:
            result = value(c, lv)
            store(c, lv, result)
            return result

        return assign

    def assigner(self, target: ast.Node) -> Callable[[Any, dict[str, Any], Any], None]:
        """A ``store(ctx, locals, value)`` for an assignable expression."""
        if isinstance(target, ast.Name):
            return self._assign_name(target)
        if isinstance(target, ast.Member):
            return self._assign_member(target)
        if isinstance(target, ast.Index):
            get_map = self.compile(target.target)
            get_key = self.compile(target.index)
            if self._is_scope_map(target.target):
                return lambda c, lv, v: put_property(get_map(c, lv), get_key(c, lv), v) and None
            return lambda c, lv, v: set_index(get_map(c, lv), get_key(c, lv), v)
        raise self.error(target, "cannot assign to this expression")

    def _assign_name(self, target: ast.Name) -> Callable[[Any, dict[str, Any], Any], None]:
        name = target.name
        if name == "payload":

            def set_payload(c: Any, lv: dict[str, Any], v: Any) -> None:
                c.payload = v

            return set_payload
        if name in ROOTS:
            raise self.error(target, f"cannot assign to {name}")
        self.uses_locals = True

        def set_variable(c: Any, lv: dict[str, Any], v: Any) -> None:
            if name not in lv:
                if name in c.flow_vars:
                    put_property(c.flow_vars, name, v)
                    return
                if name in c.session_vars:
                    put_property(c.session_vars, name, v)
                    return
            lv[name] = v

        return set_variable

    def _assign_member(self, target: ast.Member) -> Callable[[Any, dict[str, Any], Any], None]:
        name, owner = target.name, target.target
        if isinstance(owner, ast.Name) and owner.name in ROOTS and owner.name != "payload":
            if owner.name == "message":
                if name == "payload":
                    return self._assign_name(ast.Name(owner.pos, "payload"))
                if name == "replyTo":

                    def set_reply_to(c: Any, lv: dict[str, Any], v: Any) -> None:
                        c.message.reply_to = v

                    return set_reply_to
                raise self.error(target, f"message.{name} is read-only")
            if owner.name not in ("flowVars", "sessionVars"):
                raise self.error(target, f"{owner.name}.{name} is read-only")
        get_owner = self.compile(owner)
        if self._is_scope_map(owner):
            return lambda c, lv, v: put_property(get_owner(c, lv), name, v) and None

        def set_member(c: Any, lv: dict[str, Any], v: Any) -> None:
            value = get_owner(c, lv)
            if value is None:
                raise _null_error(f"setting property '{name}'")
            set_property(value, name, v)

        return set_member
