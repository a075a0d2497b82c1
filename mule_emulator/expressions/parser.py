"""Recursive-descent parser for the MEL subset (MVEL 2 syntax, EL-5).

Precedence, loosest first: ``;`` statements, assignment, ``?:``, ``||``/``or``,
``&&``/``and``, ``==``/``!=``, relational (``< > <= >= contains is instanceof ~=``),
``+ -``, ``* / %``, unary ``! - +``, postfix (``.name``, ``.?name``, ``[i]``, calls).
Anything else (MVEL blocks, lambdas, projections ...) is a compile-time
``ExpressionSyntaxError`` naming the construct and its column.
"""

from __future__ import annotations

from mule_emulator.expressions import syntax as ast
from mule_emulator.expressions.errors import ExpressionSyntaxError
from mule_emulator.expressions.java_types import PACKAGE_ROOTS, is_java_lang
from mule_emulator.expressions.lexer import Token, tokenize

_UNSUPPORTED_KEYWORDS = frozenset(
    {"if", "else", "def", "function", "foreach", "for", "while", "do", "until", "return",
     "import", "var", "switch", "with", "assert", "modify", "isdef", "soundslike", "strsim",
     "convertable_to", "in", "this"}
)  # fmt: skip
_LITERALS = {"true": True, "false": False, "null": None, "nil": None}
_ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/="})


class Parser:
    """Parses one expression text into a syntax tree (``parse()``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # token helpers ------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def at_word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.value in words

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            self.fail(f"expected {op!r}")
        return self.advance()

    def expect_name(self) -> Token:
        if self.tok.kind != "name":
            self.fail("expected a name")
        return self.advance()

    def fail(self, reason: str, token: Token | None = None) -> None:
        token = token or self.tok
        found = "end of expression" if token.kind == "end" else repr(self.text[token.pos :][:20])
        raise ExpressionSyntaxError(f"{reason}, found {found}", self.text, token.pos + 1)

    # grammar ------------------------------------------------------------------------
    def parse(self) -> ast.Node:
        statements: list[ast.Node] = []
        while self.tok.kind != "end":
            if self.at_op(";"):
                self.advance()
                continue
            statements.append(self.statement())
            if not self.at_op(";") and self.tok.kind != "end":
                self.fail("expected ';' or the end of the expression")
        if not statements:
            raise ExpressionSyntaxError("empty expression", self.text, 1)
        if len(statements) == 1:
            return statements[0]
        return ast.Block(statements[0].pos, tuple(statements))

    def statement(self) -> ast.Node:
        start = self.tok
        target = self.ternary()
        if self.at_op(*_ASSIGN_OPS):
            op = self.advance()
            if not isinstance(target, ast.Name | ast.Member | ast.Index):
                self.fail("cannot assign to this expression", start)
            return ast.Assign(op.pos, target, op.value, self.statement())
        return target

    def ternary(self) -> ast.Node:
        condition = self.logical_or()
        if self.at_op("?"):
            pos = self.advance().pos
            then = self.ternary()
            self.expect_op(":")
            return ast.Ternary(pos, condition, then, self.ternary())
        return condition

    def logical_or(self) -> ast.Node:
        node = self.logical_and()
        while self.at_op("||") or self.at_word("or"):
            pos = self.advance().pos
            node = ast.Binary(pos, "||", node, self.logical_and())
        return node

    def logical_and(self) -> ast.Node:
        node = self.equality()
        while self.at_op("&&") or self.at_word("and"):
            pos = self.advance().pos
            node = ast.Binary(pos, "&&", node, self.equality())
        return node

    def equality(self) -> ast.Node:
        node = self.relational()
        while self.at_op("==", "!="):
            op = self.advance()
            node = ast.Binary(op.pos, op.value, node, self.relational())
        return node

    def relational(self) -> ast.Node:
        node = self.additive()
        while True:
            if self.at_op("<", ">", "<=", ">=", "~="):
                op = self.advance()
                node = ast.Binary(op.pos, op.value, node, self.additive())
            elif self.at_word("contains"):
                pos = self.advance().pos
                node = ast.Binary(pos, "contains", node, self.additive())
            elif self.at_word("is", "instanceof"):
                pos = self.advance().pos
                node = ast.IsType(pos, node, self.type_name())
            else:
                return node

    def type_name(self) -> str:
        parts = [self.expect_name().value]
        while self.at_op(".") and self.peek().kind == "name":
            self.advance()
            parts.append(self.advance().value)
        name = ".".join(parts)
        if self.at_op("[") and self.peek().kind == "op" and self.peek().value == "]":
            self.advance()
            self.advance()
            name += "[]"
        return name

    def additive(self) -> ast.Node:
        node = self.multiplicative()
        while self.at_op("+", "-"):
            op = self.advance()
            node = ast.Binary(op.pos, op.value, node, self.multiplicative())
        return node

    def multiplicative(self) -> ast.Node:
        node = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.advance()
            node = ast.Binary(op.pos, op.value, node, self.unary())
        return node

    def unary(self) -> ast.Node:
        if self.at_op("!", "-", "+"):
            op = self.advance()
            operand = self.unary()
            if op.value == "+":
                return operand
            if op.value == "-" and isinstance(operand, ast.Literal):
                value = operand.value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return ast.Literal(op.pos, -value)
            return ast.Unary(op.pos, op.value, operand)
        return self.postfix(self.primary())

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            if self.at_op(".", ".?"):
                null_safe = self.advance().value == ".?"
                # MVEL accepts a quoted property name: inboundProperties.'http.method'
                name = self.advance() if self.tok.kind == "str" else self.expect_name()
                if self.at_op("("):
                    node = ast.Call(name.pos, node, name.value, self.arguments(), null_safe)
                else:
                    node = ast.Member(name.pos, node, name.value, null_safe)
            elif self.at_op("["):
                pos = self.advance().pos
                index = self.ternary()
                self.expect_op("]")
                node = ast.Index(pos, node, index)
            else:
                return node

    def arguments(self) -> tuple[ast.Node, ...]:
        self.expect_op("(")
        args: list[ast.Node] = []
        if not self.at_op(")"):
            args.append(self.ternary())
            while self.at_op(","):
                self.advance()
                args.append(self.ternary())
        self.expect_op(")")
        return tuple(args)

    def primary(self) -> ast.Node:
        token = self.tok
        if token.kind in ("num", "str"):
            self.advance()
            return ast.Literal(token.pos, token.value)
        if token.kind == "op":
            if token.value == "(":
                self.advance()
                node = self.ternary()
                self.expect_op(")")
                return node
            if token.value == "[":
                return self.inline_collection("[", "]")
            if token.value == "{":
                return self.inline_collection("{", "}")
            self.fail("expected a value")
        if token.kind == "end":
            self.fail("expected a value")
        return self.name_primary()

    def inline_collection(self, opening: str, closing: str) -> ast.Node:
        pos = self.expect_op(opening).pos
        if self.at_op(closing):
            self.advance()
            return ast.ListLiteral(pos, ())
        if self.at_op(":") and self.peek().kind == "op" and self.peek().value == closing:
            self.advance()
            self.advance()
            return ast.MapLiteral(pos, ())
        first = self.ternary()
        if self.at_op(":"):
            entries: list[tuple[ast.Node, ast.Node]] = []
            self.advance()
            entries.append((first, self.ternary()))
            while self.at_op(","):
                self.advance()
                key = self.ternary()
                self.expect_op(":")
                entries.append((key, self.ternary()))
            self.expect_op(closing)
            return ast.MapLiteral(pos, tuple(entries))
        items = [first]
        while self.at_op(","):
            self.advance()
            items.append(self.ternary())
        self.expect_op(closing)
        return ast.ListLiteral(pos, tuple(items))

    def name_primary(self) -> ast.Node:
        token = self.advance()
        name: str = token.value
        if name in _LITERALS:
            return ast.Literal(token.pos, _LITERALS[name])
        if name == "empty":
            from mule_emulator.expressions.values import EMPTY

            return ast.Literal(token.pos, EMPTY)
        if name in _UNSUPPORTED_KEYWORDS:
            raise ExpressionSyntaxError(
                f"MVEL '{name}' is outside the emulated MEL subset", self.text, token.pos + 1
            )
        if name == "new":
            class_name = self.type_name()
            return ast.New(token.pos, class_name, self.arguments())
        if self.at_op("("):
            return ast.Call(token.pos, None, name, self.arguments())
        if name in PACKAGE_ROOTS and self.at_op(".") and self.peek().kind == "name":
            return self.qualified(token)
        if is_java_lang(name):
            if self.at_op(".") and self.peek().kind == "name" and self.peek(2).value == "(":
                self.advance()
                method = self.advance()
                return ast.StaticCall(method.pos, f"java.lang.{name}", method.value,
                                      self.arguments())  # fmt: skip
            return ast.ClassRef(token.pos, name)
        return ast.Name(token.pos, name)

    def qualified(self, first: Token) -> ast.Node:
        """``java.io.IOException`` (class literal) or ``java.util.UUID.randomUUID()``."""
        parts = [first.value]
        while self.at_op(".") and self.peek().kind == "name" and not parts[-1][:1].isupper():
            self.advance()
            parts.append(self.advance().value)
        class_name = ".".join(parts)
        if not parts[-1][:1].isupper():
            self.fail(f"{class_name!r} is not a class name (MVEL package navigation)", first)
        if self.at_op(".") and self.peek().kind == "name":
            self.advance()
            member = self.advance()
            if not self.at_op("("):
                self.fail(f"static field {class_name}.{member.value} is not supported", member)
            return ast.StaticCall(member.pos, class_name, member.value, self.arguments())
        return ast.ClassRef(first.pos, class_name)


def parse(text: str) -> ast.Node:
    """Parse MEL ``text``; raises ``ExpressionSyntaxError`` (without a location)."""
    return Parser(text).parse()
