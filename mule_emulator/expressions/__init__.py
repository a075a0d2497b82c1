"""The expression language: the MEL subset and legacy evaluators Mule 3 configs use.

Parse once, evaluate many: ``compile_expression`` / ``compile_template`` /
``compile_attribute`` run at build time and raise ``ExpressionSyntaxError`` (a
``ConfigError``) for anything outside the subset; the compiled objects evaluate against
an ``EvaluationContext`` (``EventContext`` for runtime events, ``SimpleContext`` for
tests) and raise ``ExpressionRuntimeError`` (a ``RuntimeFault``) when evaluation fails.
"""

from __future__ import annotations

from mule_emulator.expressions.attribute import AttributeValue, compile_attribute
from mule_emulator.expressions.context import EvaluationContext, MessageView
from mule_emulator.expressions.datetime_value import DateTime
from mule_emulator.expressions.environment import AppInfo, FlowInfo, MuleInfo, ServerInfo
from mule_emulator.expressions.errors import (
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    RequiredValueError,
)
from mule_emulator.expressions.event_context import EventContext, EventMessage
from mule_emulator.expressions.expression import Expression, compile_expression
from mule_emulator.expressions.simple_context import SimpleContext, SimpleMessage
from mule_emulator.expressions.template import Template, compile_template
from mule_emulator.expressions.values import java_str

__all__ = [
    "AppInfo",
    "AttributeValue",
    "DateTime",
    "EvaluationContext",
    "EventContext",
    "EventMessage",
    "Expression",
    "ExpressionRuntimeError",
    "ExpressionSyntaxError",
    "FlowInfo",
    "MessageView",
    "MuleInfo",
    "RequiredValueError",
    "ServerInfo",
    "SimpleContext",
    "SimpleMessage",
    "Template",
    "compile_attribute",
    "compile_expression",
    "compile_template",
    "java_str",
]
