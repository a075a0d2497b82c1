"""Errors of the expression language: compile-time (config) and evaluation-time (runtime).

A syntax error or a construct outside the emulated MEL subset is a ``ConfigError``: the
runtime compiles every expression while it builds the application, so a bad expression
stops the start with the element's line. A failure while evaluating is a ``RuntimeFault``
(Mule's ``ExpressionRuntimeException``), which the flow turns into a messaging failure.
"""

from __future__ import annotations

from mule_emulator.errors import ConfigError, RuntimeFault, SourceLocation


class ExpressionSyntaxError(ConfigError):
    """An expression cannot be compiled: bad syntax or outside the emulated subset.

    ``expression`` is the offending text, ``column`` the 1-based column inside it
    (0 when unknown), ``reason`` the plain explanation.
    """

    def __init__(
        self,
        reason: str,
        expression: str,
        column: int = 0,
        location: SourceLocation | None = None,
    ) -> None:
        self.reason = reason
        self.expression = expression
        self.column = column
        where = f" at column {column}" if column else ""
        super().__init__(f"invalid expression {expression!r}{where}: {reason}", location)


class ExpressionRuntimeError(RuntimeFault):
    """Evaluating an expression failed (Mule's ``ExpressionRuntimeException``).

    ``expression`` is the expression text; ``cause`` the underlying Python exception, if any.
    """

    java_class = "org.mule.api.expression.ExpressionRuntimeException"

    def __init__(
        self, message: str, expression: str = "", cause: BaseException | None = None
    ) -> None:
        self.message = message
        self.expression = expression
        self.cause = cause
        text = message
        if expression:
            text = f'Execution of the expression "{expression}" failed: {message}'
        super().__init__(text)


class RequiredValueError(ExpressionRuntimeError):
    """A legacy evaluator found no value for a required (non ``?``) argument.

    Boolean evaluation treats it as a null result (Mule's ``RequiredValueException``).
    """

    java_class = "org.mule.api.expression.RequiredValueException"


__all__ = ["ExpressionRuntimeError", "ExpressionSyntaxError", "RequiredValueError"]
