"""The MEL subset, table-driven: expression → expected value, runtime error, compile error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mule_emulator.errors import ConfigError, RuntimeFault, SourceLocation, UnsupportedError
from mule_emulator.expressions import (
    DateTime,
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    SimpleContext,
    compile_expression,
)

# (expression, expected value) against tests/expressions/conftest.py:make_context()
VALUES: list[tuple[str, Any]] = [
    # literals
    ("'single'", "single"),
    ('"double"', "double"),
    (r"'it\'s'", "it's"),
    (r'"tab\there"', "tab\there"),
    (r"'\u0041BC'", "ABC"),
    ("42", 42),
    ("10L", 10),
    ("0x1F", 31),
    ("1.5", 1.5),
    ("2.5d", 2.5),
    ("1.25B", Decimal("1.25")),
    ("1e3", 1000.0),
    ("true", True),
    ("false", False),
    ("null", None),
    ("nil", None),
    ("-5", -5),
    # the marker and whitespace
    ("#[payload]", "Hello World"),
    ("#[ 1 + 1 ]", 2),
    ("  payload  ", "Hello World"),
    ("  #[payload]\n", "Hello World"),
    ("message.inboundProperties.'Content-Type'", "text/plain"),
    # context: payload and message
    ("payload", "Hello World"),
    ("message.payload", "Hello World"),
    ("message.id", "msg-1"),
    ("message.rootId", "root-1"),
    ("message.correlationId", "corr-1"),
    ("message.correlationSequence", -1),
    ("message.replyTo", None),
    ("message.inboundProperties['Content-Type']", "text/plain"),
    ("message.inboundProperties['content-type']", "text/plain"),
    ("message.inboundProperties.count", "7"),
    ("message.outboundProperties.existing", "out-1"),
    ("message.outboundProperties['EXISTING']", "out-1"),
    ("message.outboundProperties.missing", None),
    ("message.inboundAttachments['doc']", ("content", "text/plain")),
    ("message.exception", None),
    ("exception", None),
    ("message.payloadAs(java.lang.String)", "Hello World"),
    # variables
    ("flowVars.count", 3),
    ("flowVars['name']", "Ann"),
    ('flowVars["name"]', "Ann"),
    ("flowVars.missing", None),
    ("sessionVars.user", "bob"),
    ("sessionVars['count']", 99),
    ("count", 3),
    ("user", "bob"),
    ("name + '!'", "Ann!"),
    ("flowVars.config.k", "v"),
    ("flowVars.config['n']", 2),
    ("flowVars.config.nested.deep", True),
    ("flowVars.items[0]", 1),
    ("flowVars.items[2]", 3),
    ("flowVars.nothing", None),
    # app / server / mule / flow
    ("app.name", "shop"),
    ("app.encoding", "UTF-8"),
    ("app.workDir", "/tmp/shop"),
    ("mule.version", "3.9.0"),
    ("flow.name", "orders"),
    ("server.dateTime is org.mule.el.datetime.DateTime", True),
    ("server.nanoTime() > 0", True),
    ("server.env is java.util.Map", True),
    ("server.osName != empty", True),
    # arithmetic
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 / 2", 3),
    ("-7 / 2", -3),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("7.0 / 2", 3.5),
    ("1 / 4.0", 0.25),
    ("10 - 4 - 3", 3),
    ("flowVars.count * 2", 6),
    ("flowVars.price + 1", Decimal("11.50")),
    ("flowVars.ratio * 4", 2.0),
    ("'a' + 1", "a1"),
    ("1 + 'a'", "1a"),
    ("'a' + 1 + 2", "a12"),
    ("1 + 2 + 'a'", "3a"),
    ("'x' + null", "xnull"),
    ("'v=' + true", "v=true"),
    ("'' + 2.0", "2.0"),
    ("'list ' + flowVars.items", "list [1, 2, 3]"),
    ("1.0E20 + ''", "1.0E20"),
    # comparison
    ("payload == 'Hello World'", True),
    ("payload != 'Hello World'", False),
    ("'abc' == \"abc\"", True),
    ("1 == 1.0", True),
    ("10L == 10", True),
    ("'10' == 10", True),
    ("10 == '10'", True),
    ("'abc' == 10", False),
    ("null == null", True),
    ("payload == null", False),
    ("flowVars.missing == null", True),
    ("null != 'x'", True),
    ("'true' == true", True),
    ("3 > 2", True),
    ("3 >= 3", True),
    ("2 < 1", False),
    ("2 <= 2.5", True),
    ("'b' > 'a'", True),
    ("flowVars.count < 10", True),
    ("message.inboundProperties.count > 5", True),
    ("null > 1", False),
    ("[1, 2] == [1, 2]", True),
    # logical
    ("true && false", False),
    ("true || false", True),
    ("true and true", True),
    ("false or true", True),
    ("!true", False),
    ("!(1 > 2)", True),
    ("null || true", True),
    ("'true' && true", True),
    ("false && undefinedName", False),
    ("true || undefinedName", True),
    # ternary
    ("flowVars.count > 2 ? 'big' : 'small'", "big"),
    ("flowVars.count > 5 ? 'big' : 'small'", "small"),
    ("false ? 1 : true ? 2 : 3", 2),
    # empty
    ("null == empty", True),
    ("'' == empty", True),
    ("flowVars.blank == empty", True),
    ("[] == empty", True),
    ("[:] == empty", True),
    ("0 == empty", True),
    ("'x' == empty", False),
    ("payload != empty", True),
    ("flowVars.items == empty", False),
    # is / instanceof
    ("payload is String", True),
    ("payload is java.lang.String", True),
    ("payload instanceof java.lang.Object", True),
    ("flowVars.count is Integer", True),
    ("flowVars.count is Number", True),
    ("flowVars.count is String", False),
    ("flowVars.price is java.math.BigDecimal", True),
    ("flowVars.ratio is Double", True),
    ("flowVars.config is java.util.Map", True),
    ("flowVars.items is java.util.List", True),
    ("flowVars.items is java.util.Collection", True),
    ("true is Boolean", True),
    ("null is Object", False),
    # contains
    ("payload contains 'World'", True),
    ("payload contains 'world'", False),
    ("flowVars.items contains 2", True),
    ("flowVars.items contains 5", False),
    ("flowVars.config contains 'k'", True),
    ("['a', 'b'] contains 'b'", True),
    # regex match operator
    ("payload ~= 'Hello.*'", True),
    # string methods
    ("payload.length()", 11),
    ("payload.toUpperCase()", "HELLO WORLD"),
    ("payload.toLowerCase()", "hello world"),
    ("'  pad  '.trim()", "pad"),
    ("payload.substring(6)", "World"),
    ("payload.substring(0, 5)", "Hello"),
    ("payload.indexOf('o')", 4),
    ("payload.indexOf('o', 5)", 7),
    ("payload.lastIndexOf('o')", 7),
    ("payload.indexOf('z')", -1),
    ("payload.startsWith('Hell')", True),
    ("payload.endsWith('World')", True),
    ("payload.contains('lo W')", True),
    ("payload.equals('Hello World')", True),
    ("payload.equalsIgnoreCase('hello world')", True),
    ("payload.replace('l', 'L')", "HeLLo WorLd"),
    ("payload.replaceAll('[aeiou]', '*')", "H*ll* W*rld"),
    ("payload.replaceAll('(\\\\w+) (\\\\w+)', '$2 $1')", "World Hello"),
    ("payload.replaceFirst('l', 'L')", "HeLlo World"),
    ("payload.split(' ')", ["Hello", "World"]),
    ("'a,b,,'.split(',')", ["a", "b"]),
    ("'a1b22c'.split('\\\\d+')", ["a", "b", "c"]),
    ("',a'.split(',')", ["", "a"]),
    ("'abc'.split('(?=b)')", ["a", "bc"]),
    ("'abc'.split('(?=a)')", ["abc"]),
    ("''.split(',')", [""]),
    ("','.split(',')", []),
    ("'a,b,c'.split(',', 2)", ["a", "b,c"]),
    ("payload.split(' ')[1]", "World"),
    ("payload.matches('H.*d')", True),
    ("payload.matches('ello')", False),
    ("payload.isEmpty()", False),
    ("''.isEmpty()", True),
    ("payload.charAt(4)", "o"),
    ("payload.concat('!')", "Hello World!"),
    ("'b'.compareTo('a')", 1),
    ("'hello'.hashCode()", 99162322),
    ("payload.toString()", "Hello World"),
    ("payload.getClass().getName()", "java.lang.String"),
    ("flowVars.count.toString()", "3"),
    ("flowVars.items.toString()", "[1, 2, 3]"),
    # lists
    ("[1, 2, 3]", [1, 2, 3]),
    ("['a', 'b'].size()", 2),
    ("flowVars.items.size()", 3),
    ("flowVars.items.get(1)", 2),
    ("flowVars.items.isEmpty()", False),
    ("flowVars.items.contains(3)", True),
    ("flowVars.items.indexOf(3)", 2),
    ("{1, 2}", [1, 2]),
    ("[]", []),
    ("[[1, 2], [3]][1][0]", 3),
    # maps
    ("['k': 'v']", {"k": "v"}),
    ("['k': 'v', 'n': 1 + 1]", {"k": "v", "n": 2}),
    ("['k': 'v']['k']", "v"),
    ("['k': 'v'].k", "v"),
    ("[:]", {}),
    ("flowVars.config.get('k')", "v"),
    ("flowVars.config.containsKey('n')", True),
    ("flowVars.config.containsKey('zz')", False),
    ("flowVars.config.size()", 3),
    ("flowVars.config.keySet()", ["k", "n", "nested"]),
    ("flowVars.config.isEmpty()", False),
    ("flowVars.config['missing']", None),
    # null-safe navigation
    ("flowVars.nothing.?length()", None),
    ("flowVars.nothing.?foo", None),
    ("flowVars.missing.?foo.?bar", None),
    ("flowVars.config.?k", "v"),
    # functions
    ("regex('Hello (\\\\w+)')", "World"),
    ("regex('Hello World')", "Hello World"),
    ("regex('(\\\\w+) (\\\\w+)')", ["Hello", "World"]),
    ("regex('nope')", None),
    ("regex('a(b)c', 'abc')", "b"),
    ("regex('ABC', 'abc', 2)", "abc"),
    ("wildcard('Hello*')", True),
    ("wildcard('*World')", True),
    ("wildcard('H?llo*')", True),
    ("wildcard('hello*')", False),
    ("wildcard('hello*', payload, false)", True),
    ("wildcard('*.xml', 'a.xml')", True),
    ("dateTime('2017-06-01T10:20:30.123+02:00').toString()", "2017-06-01T10:20:30.123+02:00"),
    ("dateTime('2017-06-01T10:20:30+02:00').format('yyyy/MM/dd HH:mm')", "2017/06/01 10:20"),
    ("dateTime('2017-06-01T10:20:30Z').plusDays(31).format('yyyy-MM-dd')", "2017-07-02"),
    ("dateTime('2017-01-31T00:00:00Z').plusMonths(1).dayOfMonth", 28),
    ("dateTime('01/06/2017', 'dd/MM/yyyy').year", 2017),
    ("dateTime('2017-06-01T10:20:30Z').isBefore(dateTime('2018-01-01T00:00:00Z'))", True),
    # Java statics and constructors
    ("java.util.UUID.randomUUID().toString().length()", 36),
    ("Integer.parseInt('42') + 1", 43),
    ("Long.valueOf('5')", 5),
    ("String.valueOf(12)", "12"),
    ("String.format('%s-%s', 'a', 'b')", "a-b"),
    ("Math.max(3, 9)", 9),
    ("System.currentTimeMillis() > 0", True),
    ("new java.util.HashMap()", {}),
    ("new java.util.ArrayList()", []),
    ("new String('x')", "x"),
    # comments and statements
    ("1 + /* inline */ 2", 3),
    ("payload // trailing comment", "Hello World"),
    ("x = 2; y = x * 3; y + 1", 7),
    ("1; 2;", 2),
]


@pytest.mark.parametrize(("text", "expected"), VALUES, ids=[v[0] for v in VALUES])
def test_value(ctx: SimpleContext, text: str, expected: Any) -> None:
    result = compile_expression(text).evaluate(ctx)
    assert result == expected
    assert type(result) is type(expected)


def test_table_is_large() -> None:
    assert len(VALUES) + len(RUNTIME_ERRORS) + len(COMPILE_ERRORS) >= 100


# (expression, text the runtime error must contain)
RUNTIME_ERRORS: list[tuple[str, str]] = [
    ("undefinedName", "unresolvable property or identifier: undefinedName"),
    ("1 / 0", "/ by zero"),
    ("5 % 0", "/ by zero"),
    ("flowVars.nothing.length()", "NullPointerException"),
    ("flowVars.missing.foo", "NullPointerException"),
    ("flowVars.items[5]", "IndexOutOfBoundsException"),
    ("flowVars.items.get(-1)", "IndexOutOfBoundsException"),
    ("payload.substring(20)", "StringIndexOutOfBoundsException"),
    ("payload.charAt(99)", "StringIndexOutOfBoundsException"),
    ("payload.noSuchMethod()", "unknown method noSuchMethod()"),
    ("payload.length(1, 2)", "no method java.lang.String.length"),
    ("payload.foo", "unresolvable property 'foo'"),
    ("'a' - 1", "operator - is not defined"),
    ("true + 1", "operator + is not defined"),
    ("[1] * 2", "operator * is not defined"),
    ("!'maybe'", "not a boolean"),
    ("1 && true", "not a boolean"),
    ("'abc' ? 1 : 2", "not a boolean"),
    ("'a' < 1", "cannot compare"),
    ("message.inboundProperties['x'] = 1", "read-only"),
    ("message.inboundProperties.put('x', 1)", "read-only"),
    ("exception.causedBy(java.io.IOException)", "NullPointerException"),
    ("regex(1)", "not a string"),
    ("wildcard('')", "blank"),
    ("dateTime('not a date')", "Unable to parse string"),
    ("Integer.parseInt('x1')", "NumberFormatException"),
    ("payload.replaceAll('(', 'x')", "PatternSyntaxException"),
    ("message.payloadAs(java.util.Map)", "TransformerException"),
]


@pytest.mark.parametrize(("text", "fragment"), RUNTIME_ERRORS, ids=[v[0] for v in RUNTIME_ERRORS])
def test_runtime_error(ctx: SimpleContext, text: str, fragment: str) -> None:
    expression = compile_expression(text)
    with pytest.raises(ExpressionRuntimeError) as info:
        expression.evaluate(ctx)
    assert isinstance(info.value, RuntimeFault)
    assert fragment in str(info.value)
    assert f'"{expression.source}"' in str(info.value)


# (expression, column of the error, text the message must contain)
COMPILE_ERRORS: list[tuple[str, int, str]] = [
    ("payload ==", 11, "expected a value"),
    ("#[payload ==]", 13, "expected a value"),
    ("1 +* 2", 4, "expected a value"),
    ("(1 + 2", 7, "expected ')'"),
    ("'unterminated", 1, "unterminated string"),
    ("payload # 1", 9, "unexpected character '#'"),
    ("payload payload", 9, "expected ';'"),
    ("if (true) { 1 }", 1, "'if' is outside"),
    ("foreach (x : payload) { x }", 1, "'foreach' is outside"),
    ("def f() { 1 }", 1, "'def' is outside"),
    ("message.nope", 9, "message has no property 'nope'"),
    ("#[message.nope]", 11, "message has no property 'nope'"),
    ("message.toString()", 9, "message has no method"),
    ("app.colour", 5, "app has no property 'colour'"),
    ("server.planet", 8, "server has no property 'planet'"),
    ("mule.flavour", 6, "mule has no property"),
    ("flow.id", 6, "flow has no property"),
    ("frobnicate(1)", 1, "unknown function frobnicate()"),
    ("new com.acme.Thing()", 1, "'new com.acme.Thing' is outside"),
    ("java.lang.Integer.MAX_VALUE", 19, "static field"),
    ("com.acme.Util.doIt()", 15, "static method com.acme.Util.doIt()"),
    ("1 = 2", 1, "cannot assign"),
    ("message.id = 'x'", 9, "message.id is read-only"),
    ("app.name = 'x'", 5, "app.name is read-only"),
    ("message = 1", 1, "cannot assign to message"),
    ("", 1, "empty expression"),
    ("#[]", 3, "empty expression"),
]


@pytest.mark.parametrize(
    ("text", "column", "fragment"), COMPILE_ERRORS, ids=[v[0] or "<empty>" for v in COMPILE_ERRORS]
)
def test_compile_error(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_expression(text)
    error = info.value
    assert isinstance(error, ConfigError)
    assert fragment in str(error)
    assert error.column == column
    assert error.expression == text


def test_server_datetime_is_now_and_prints_as_xs_datetime(ctx: SimpleContext) -> None:
    value = compile_expression("server.dateTime").evaluate(ctx)
    assert isinstance(value, DateTime)
    text = compile_expression("'' + server.dateTime").evaluate(ctx)
    assert len(text) == len("2017-06-01T10:20:30.123+02:00")
    assert text[10] == "T" and text[19] == "."


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("#[xpath3('/order/id')]", "XML module"),
        ("xpath('//id', payload)", "XML module"),
        ("#[dbCreateArray('db', 'T', payload)]", "Database"),
        ("oauthContext('cfg').accessToken", "OAuth2"),
    ],
)
def test_module_functions_are_refused_by_name(text: str, module: str) -> None:
    where = SourceLocation(file="app.xml", line=7)
    with pytest.raises(UnsupportedError) as info:
        compile_expression(text, where)
    assert module in str(info.value)
    assert info.value.location.line == 7
