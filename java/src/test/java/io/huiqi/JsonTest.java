package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The package's JSON reader and writer (Json), and HuiqiException read from a failure envelope. No native code. */
class JsonTest {
    private static String nested(int levels) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            sb.append('[');
        }
        for (int i = 0; i < levels; i++) {
            sb.append(']');
        }
        return sb.toString();
    }

    /** The failure of parsing {@code text}: kind json, at a character, saying {@code what}. */
    private static HuiqiException refused(String text, String what) {
        HuiqiException e = assertThrows(HuiqiException.class, () -> Json.parse(text), text);
        assertEquals(ErrorKind.JSON, e.kind(), e.getMessage());
        assertNull(e.path(), "a JSON text has no path to name");
        assertTrue(e.getMessage().startsWith("json: not valid JSON at character "), e.getMessage());
        assertTrue(e.getMessage().contains(what), "wanted \"" + what + "\" in: " + e.getMessage());
        assertNull(e.envelope(), "raised in Java: no envelope");
        return e;
    }

    // ---- round trips -------------------------------------------------------------------

    @Test
    void writesCompactJsonInInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", Arrays.asList(true, false, null));
        m.put("m", Collections.singletonMap("k", "v"));
        m.put("s", "text");
        m.put("e", new ArrayList<Object>());
        m.put("o", new LinkedHashMap<String, Object>());
        assertEquals("{\"z\":1,\"a\":[true,false,null],\"m\":{\"k\":\"v\"},\"s\":\"text\",\"e\":[],\"o\":{}}", Json.write(m));
        assertEquals("[\"a\",\"b\"]", Json.write(new String[] {"a", "b"}));
        assertEquals("[3,1,2]", Json.write(new LinkedHashSet<>(Arrays.asList(3, 1, 2))));
        assertEquals("null", Json.write(null));
    }

    @Test
    void parsedValuesWriteBackToTheSameText() {
        String text = "{\"name\":\"济南泉智云图\",\"capital\":500,\"ratio\":0.08,\"big\":123456789012345678901234567890,"
                + "\"flags\":[true,false,null],\"nested\":{\"list\":[[],{}],\"neg\":-7,\"exp\":1.5E-7},\"emoji\":\"😀𠮷\"}";
        Object v = Json.parse(text);
        assertEquals(text, Json.write(v));
        Map<String, Object> m = Support.map(v);
        assertEquals(Arrays.asList("name", "capital", "ratio", "big", "flags", "nested", "emoji"), new ArrayList<>(m.keySet()));
        assertEquals(500L, m.get("capital"));
        assertEquals(0.08, m.get("ratio"));
        assertEquals(new BigInteger("123456789012345678901234567890"), m.get("big"));
        assertEquals(Arrays.asList(true, false, null), m.get("flags"));
        assertEquals(-7L, Support.map(m.get("nested")).get("neg"));
        assertEquals(1.5e-7, Support.map(m.get("nested")).get("exp"));
        // And a value written and read is the value (maps compare by content).
        assertEquals(v, Json.parse(Json.write(v)));
    }

    @Test
    void whitespaceAroundTokensIsAccepted() {
        Object v = Json.parse(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\" : { } }\n ");
        assertEquals("{\"a\":[1,2],\"b\":{}}", Json.write(v));
    }

    // ---- text ---------------------------------------------------------------------------

    @Test
    void unicodeIsWrittenAsIsAndReadFromEscapes() {
        String s = "中文 é 😀 𠮷 \u2028";
        assertEquals("\"" + s + "\"", Json.write(s));
        assertEquals(s, Json.parse(Json.write(s)));
        // Supplementary characters from a surrogate-pair escape, upper or lower case hex.
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("😀", Json.parse("\"\\uD83D\\uDE00\""));
        assertEquals("a😀b", Json.parse("\"a\\ud83d\\ude00b\""));
        assertEquals(2, ((String) Json.parse("\"\\ud842\\udfb7\"")).length());
        assertEquals("𠮷", Json.parse("\"\\ud842\\udfb7\""));
        assertEquals("中", Json.parse("\"\\u4e2d\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
    }

    @Test
    void escapesAreReadAndWritten() {
        assertEquals("\"\\/\b\f\n\r\tA", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\""));
        assertEquals("\"\\\"\\\\/\\u0008\\u000c\\n\\r\\t\\u0001\\u001f\"", Json.write("\"\\/\b\f\n\r\t\u0001\u001f"));
        assertEquals("\"a\\\"b\"", Json.quote("a\"b"));
        // Every character below 0x80 survives a round trip.
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x80; c++) {
            all.append(c);
        }
        assertEquals(all.toString(), Json.parse(Json.write(all.toString())));
        // DEL and the C1 controls need no escape.
        assertEquals("\"\u007f\u0085\"", Json.write("\u007f\u0085"));
    }

    @Test
    void aLoneSurrogateIsWrittenEscapedAndRefusedWhenRead() {
        // Written as an escape so that the text stays valid UTF-8 …
        assertEquals("\"a\\ud800b\"", Json.write("a\ud800b"));
        assertEquals("\"\\udc00\"", Json.write("\udc00"));
        assertEquals("\"\\ude00\\ud83d\"", Json.write("\ude00\ud83d"));
        // … and such text is refused, never read as a different string.
        refused(Json.write("a\ud800b"), "a lone surrogate escape");
        refused("\"\\udc00\"", "a lone surrogate escape");
        refused("\"\\ud800\\u0041\"", "a lone surrogate escape");
        refused("\"\\ud800\\ud800\"", "a lone surrogate escape");
        refused("\"\\ud800x\"", "a lone surrogate escape");
    }

    // ---- numbers -----------------------------------------------------------------------

    @Test
    void integersAreLongsAndBigIntegersBeyond() {
        assertEquals(42L, Json.parse("42"));
        assertEquals(0L, Json.parse("0"));
        assertEquals(-17L, Json.parse("-17"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigInteger("-9223372036854775809"), Json.parse("-9223372036854775809"));
        assertInstanceOf(Long.class, Json.parse("1000000000000000000"));
        assertEquals(new BigInteger("123456789012345678901234567890"), Json.parse("123456789012345678901234567890"));
        // -0 is an integer: 0 (as Python's json reads it).
        assertEquals(0L, Json.parse("-0"));
        assertEquals("9223372036854775807", Json.write(Long.MAX_VALUE));
        assertEquals("-9223372036854775808", Json.write(Long.MIN_VALUE));
        assertEquals("123456789012345678901234567890", Json.write(new BigInteger("123456789012345678901234567890")));
        assertEquals("[1,2,3]", Json.write(Arrays.asList((byte) 1, (short) 2, 3)));
        assertEquals("1.10", Json.write(new BigDecimal("1.10")));
    }

    @Test
    void fractionsAndExponentsAreDoubles() {
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(-0.25, Json.parse("-0.25"));
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(1000.0, Json.parse("1E+3"));
        assertEquals(0.0025, Json.parse("2.5e-3"));
        assertEquals(1.0, Json.parse("1.0"));
        Object negativeZero = Json.parse("-0.0");
        assertInstanceOf(Double.class, negativeZero);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) negativeZero), "keeps the sign");
        assertEquals("-0.0", Json.write(-0.0));
        assertEquals("1.5", Json.write(1.5));
        assertEquals("0.08", Json.write(0.08));
        assertEquals(1e300, Json.parse(Json.write(1e300)));
        assertEquals(4.9e-324, Json.parse(Json.write(Double.MIN_VALUE)));
        assertEquals(0.1f, ((Double) Json.parse(Json.write(0.1f))).floatValue());
    }

    @Test
    void notANumberIsNotWritten() {
        for (Object bad : new Object[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN}) {
            HuiqiException e = assertThrows(HuiqiException.class, () -> Json.write(Collections.singletonList(bad)));
            assertEquals(ErrorKind.REQUEST, e.kind());
            assertTrue(e.getMessage().contains("JSON has no"), e.getMessage());
        }
    }

    // ---- strictness --------------------------------------------------------------------

    @Test
    void textAfterTheValueIsRefused() {
        HuiqiException e = refused("{} x", "unexpected text after the value");
        assertTrue(e.getMessage().contains("at character 4"), e.getMessage());
        refused("[1]]", "unexpected text after the value");
        refused("1 2", "unexpected text after the value");
        refused("\"a\"\"b\"", "unexpected text after the value");
    }

    @Test
    void aKeyGivenTwiceIsRefused() {
        refused("{\"a\":1,\"a\":2}", "the key \"a\" appears twice");
        refused("{\"x\":{\"b\":1,\"c\":2,\"b\":1}}", "the key \"b\" appears twice");
        // Same key text after escapes is the same key.
        refused("{\"a\":1,\"\\u0061\":1}", "appears twice");
    }

    @Test
    void leadingZerosAndMalformedNumbersAreRefused() {
        refused("01", "a number with a leading zero");
        refused("-01", "a number with a leading zero");
        refused("00", "a number with a leading zero");
        refused("[007]", "a number with a leading zero");
        refused("-", "expected a digit");
        refused("1.", "expected a digit");
        refused("1e", "expected a digit");
        refused("1e+", "expected a digit");
        refused("-.5", "expected a digit");
        refused(".5", "unexpected character '.'");
        refused("+1", "unexpected character '+'");
        refused("NaN", "unexpected character 'N'");
        refused("Infinity", "unexpected character 'I'");
        // A zero followed by digits in a fraction or exponent is fine.
        assertEquals(0.05, Json.parse("0.05"));
        assertEquals(100.0, Json.parse("1e02"));
    }

    @Test
    void controlCharactersInsideStringsAreRefused() {
        refused("\"a\u0001b\"", "a control character inside a string");
        refused("\"tab\there\"", "a control character inside a string");
        refused("\"new\nline\"", "a control character inside a string");
        refused("\"\u0000\"", "a control character inside a string");
        refused("{\"k\u001f\":1}", "a control character inside a string");
    }

    @Test
    void nestingIsBoundedWithoutOverflowingTheStack() {
        assertEquals(nested(512), Json.write(Json.parse(nested(512))));
        refused(nested(600), "nested deeper than 512 levels");
        refused(nested(100_000), "nested deeper than 512 levels");
        StringBuilder objects = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            objects.append("{\"a\":");
        }
        refused(objects.toString(), "nested deeper than 512 levels");
    }

    @Test
    void nesting513LevelsIsRefused() {
        refused(nested(513), "nested deeper than 512 levels");
    }

    @Test
    void aNumberBeyondTheRangeOfADoubleIsRefused() {
        refused("1e400", "");
        refused("[-1e400]", "");
    }

    @Test
    void theWriterRefusesACycleInsteadOfOverflowing() {
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        HuiqiException e = assertThrows(HuiqiException.class, () -> Json.write(cycle));
        assertEquals(ErrorKind.REQUEST, e.kind());
        assertTrue(e.getMessage().contains("a cycle?"), e.getMessage());
    }

    @Test
    void malformedTextIsRefusedWithItsReason() {
        refused("", "the text ends early");
        refused("   ", "the text ends early");
        refused("[1,", "the text ends early");
        refused("\"abc", "the text ends early");
        refused("[1,]", "unexpected character ']'");
        refused("[1 2]", "expected , or ]");
        refused("{\"a\":1 \"b\":2}", "expected , or }");
        refused("{\"a\" 1}", "expected :");
        refused("{a:1}", "expected a key in quotes");
        refused("{\"a\":1,}", "expected a key in quotes");
        refused("'a'", "unexpected character '''");
        refused("tru", "expected true");
        refused("nul", "expected null");
        refused("falsy", "expected false");
        refused("\"\\x\"", "an unknown escape \\x");
        refused("\"\\u12\"", "a \\u escape needs four hex digits");
        refused("\"\\u12g4\"", "a \\u escape needs four hex digits");
    }

    @Test
    void nullAndNonObjectsAreRequestErrors() {
        HuiqiException e = assertThrows(HuiqiException.class, () -> Json.parse(null));
        assertEquals(ErrorKind.REQUEST, e.kind());
        assertEquals("json", e.path());
        HuiqiException notObject = assertThrows(HuiqiException.class, () -> Json.parseObject("[1]"));
        assertEquals(ErrorKind.REQUEST, notObject.kind());
        assertTrue(notObject.getMessage().contains("expected a JSON object"), notObject.getMessage());
        assertEquals(Collections.singletonMap("a", 1L), Json.parseObject("{\"a\":1}"));
    }

    @Test
    void valuesJsonHasNoWordForAreRefused() {
        Map<Object, Object> intKey = new LinkedHashMap<>();
        intKey.put(1, "x");
        HuiqiException key = assertThrows(HuiqiException.class, () -> Json.write(intKey));
        assertEquals(ErrorKind.REQUEST, key.kind());
        assertTrue(key.getMessage().contains("keys are strings"), key.getMessage());
        HuiqiException type = assertThrows(HuiqiException.class, () -> Json.write(new Object()));
        assertEquals(ErrorKind.REQUEST, type.kind());
        assertTrue(type.getMessage().contains("cannot write a java.lang.Object as JSON"), type.getMessage());
    }

    // ---- HuiqiException from an envelope -----------------------------------------------

    @Test
    void anExceptionKeepsEveryErrorOfItsEnvelope() {
        String envelope = "{\"type\":\"failure\",\"errors\":["
                + "{\"kind\":\"policy\",\"message\":\"expected a value\",\"path\":\"condition\",\"origin\":\"a.json\",\"policy\":\"p1\","
                + "\"line\":3,\"column\":14,\"hint\":\"did you mean x?\"},"
                + "{\"kind\":\"unknown_policy\",\"message\":\"second\",\"item\":2},"
                + "{\"kind\":\"a_kind_of_a_later_version\",\"message\":\"third\",\"line\":7}]}";
        HuiqiException e = new HuiqiException(envelope);
        assertEquals(ErrorKind.POLICY, e.kind());
        assertEquals("condition", e.path());
        assertEquals("a.json", e.origin());
        assertEquals("p1", e.policy());
        assertEquals(Integer.valueOf(3), e.line());
        assertEquals(Integer.valueOf(14), e.column());
        assertEquals("did you mean x?", e.hint());
        assertSame(envelope, e.envelope());
        assertEquals("policy: a.json: p1: 3:14: expected a value (did you mean x?) (and 2 more)", e.getMessage());
        assertEquals(3, e.errors().size());
        HuiqiException.Error second = e.errors().get(1);
        assertEquals(ErrorKind.UNKNOWN_POLICY, second.kind());
        assertEquals("second", second.message());
        assertEquals(Integer.valueOf(2), second.item());
        assertNull(second.line());
        assertNull(second.path());
        assertNull(second.hint());
        assertEquals("item 2: second", second.toString());
        HuiqiException.Error third = e.errors().get(2);
        assertEquals(ErrorKind.INTERNAL, third.kind(), "a kind this version does not know");
        assertEquals("line 7: third", third.toString());
        assertThrows(UnsupportedOperationException.class, () -> e.errors().clear());
    }

    @Test
    void anErrorWithAPathAndNoLineNamesThePath() {
        HuiqiException e = new HuiqiException(
                "{\"type\":\"failure\",\"errors\":[{\"kind\":\"profile\",\"message\":\"not a number\",\"path\":\"$.registered_capital\"}]}");
        assertEquals(ErrorKind.PROFILE, e.kind());
        assertEquals("$.registered_capital", e.path());
        assertNull(e.line());
        assertNull(e.column());
        assertNull(e.origin());
        assertEquals("profile: $.registered_capital: not a number", e.getMessage());
        assertEquals(1, e.errors().size());
    }

    @Test
    void numbersThatAreNotLinesAreNotLines() {
        HuiqiException e = new HuiqiException(
                "{\"type\":\"failure\",\"errors\":[{\"kind\":\"json\",\"message\":\"m\",\"line\":99999999999,\"column\":\"3\",\"item\":1.5}]}");
        assertNull(e.line(), "beyond an int");
        assertNull(e.column(), "a string");
        assertNull(e.errors().get(0).item(), "a fraction");
        assertEquals(ErrorKind.JSON, e.kind());
    }

    @Test
    void anUnreadableOrEmptyFailureIsInternal() {
        HuiqiException garbage = new HuiqiException("not an envelope");
        assertEquals(ErrorKind.INTERNAL, garbage.kind());
        assertTrue(garbage.getMessage().contains("an unreadable failure: not an envelope"), garbage.getMessage());
        assertEquals("not an envelope", garbage.envelope());
        HuiqiException empty = new HuiqiException("{\"type\":\"failure\",\"errors\":[]}");
        assertEquals(ErrorKind.INTERNAL, empty.kind());
        assertTrue(empty.getMessage().contains("a failure without errors"), empty.getMessage());
        HuiqiException none = new HuiqiException((String) null);
        assertEquals(ErrorKind.INTERNAL, none.kind());
        assertNull(none.envelope());
    }

    @Test
    void everyKindIsReadFromItsWireName() {
        for (ErrorKind k : ErrorKind.values()) {
            assertSame(k, ErrorKind.of(k.wire()));
            assertEquals(k.name().toLowerCase(Locale.ROOT), k.wire());
        }
        assertSame(ErrorKind.INTERNAL, ErrorKind.of("no_such_kind"));
        assertSame(ErrorKind.INTERNAL, ErrorKind.of(null));
        assertFalse(ErrorKind.of("request") == ErrorKind.JSON);
    }
}
