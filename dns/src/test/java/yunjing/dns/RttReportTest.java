package yunjing.dns;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RttReportTest {

    @Test
    void parse_readsTheEdgesFormat() throws Exception {
        List<RttReport> r = RttReport.parse("""
                [{"node":"sh-telecom","client":"1.2.3.0/24","rtt_ms":12.5,"samples":40},
                 {"node":"gz-unicom","client":"240e:1:2::/48","rtt_ms":30}]""");
        assertEquals(new RttReport("sh-telecom", InetAddress.getByName("1.2.3.0"), 24, 12.5, 40), r.get(0));
        assertEquals(1, r.get(1).samples(), "samples default to 1");
        assertEquals(48, r.get(1).prefixLength());
    }

    @Test
    void parse_badInput_namesTheElementAndTheProblem() {
        assertMessage("not JSON", "[");
        assertMessage("expected: a JSON array", "{\"node\":\"x\"}");
        assertMessage("report 1: rtt_ms", "[{\"node\":\"a\",\"client\":\"1.2.3.0/24\",\"rtt_ms\":1},"
                + "{\"node\":\"a\",\"client\":\"1.2.3.0/24\",\"rtt_ms\":\"fast\"}]");
        assertMessage("report 0: client", "[{\"node\":\"a\",\"client\":\"example.com/24\",\"rtt_ms\":1}]");
        assertMessage("report 0: client prefix /33", "[{\"node\":\"a\",\"client\":\"1.2.3.0/33\",\"rtt_ms\":1}]");
        assertMessage("report 0: rtt_ms: -1", "[{\"node\":\"a\",\"client\":\"1.2.3.0/24\",\"rtt_ms\":-1}]");
        assertMessage("report 0: samples", "[{\"node\":\"a\",\"client\":\"1.2.3.0/24\",\"rtt_ms\":1,\"samples\":0}]");
        assertMessage("report 0: node", "[{\"client\":\"1.2.3.0/24\",\"rtt_ms\":1}]");
    }

    private static void assertMessage(String start, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RttReport.parse(json));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
}
