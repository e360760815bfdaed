package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class EngineTest {
    @Test
    void theBundledEngineMatchesTheSampleAsTheCliCounts() {
        try (Engine e = Engine.bundled()) {
            Map<String, Object> r = e.match(Support.sample(), Support.AS_OF);
            @SuppressWarnings("unchecked")
            Map<String, Object> summary = (Map<String, Object>) r.get("summary");
            assertEquals(11L, summary.get("eligible"));
            assertEquals(3L, summary.get("undetermined"));
            assertEquals(32L, summary.get("ineligible"));
            assertEquals(16L, summary.get("not_in_force"));
        }
    }

    @Test
    void aClosedEngineIsARequestError() {
        Engine e = Engine.bundled();
        e.close();
        e.close();
        HuiqiException x = assertThrows(HuiqiException.class, () -> e.match(Support.sample(), Support.AS_OF));
        assertEquals(ErrorKind.REQUEST, x.kind());
        assertTrue(x.getMessage().contains("this Engine is closed"), x.getMessage());
    }

    @Test
    void theVersionIsTheJars() {
        assertEquals(Huiqi.VERSION, Huiqi.version());
    }
}
