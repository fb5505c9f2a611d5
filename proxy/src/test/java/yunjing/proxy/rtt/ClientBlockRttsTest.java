package yunjing.proxy.rtt;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientBlockRttsTest {

    @Test
    void block_is24ForIpv4_and48ForIpv6() throws Exception {
        assertEquals("1.2.3.0/24", ClientBlockRtts.block(InetAddress.getByName("1.2.3.200")));
        assertEquals("240e:1:2:0:0:0:0:0/48", ClientBlockRtts.block(InetAddress.getByName("240e:1:2:3::9")));
    }

    @Test
    void json_averagesPerBlock_andCountsSamples() throws Exception {
        ClientBlockRtts rtts = new ClientBlockRtts();
        rtts.add(InetAddress.getByName("1.2.3.4"), 10);
        rtts.add(InetAddress.getByName("1.2.3.5"), 20);
        rtts.add(InetAddress.getByName("5.6.7.8"), 3.25);
        assertEquals(List.of("[{\"node\":\"sh\",\"client\":\"1.2.3.0/24\",\"rtt_ms\":15.000,\"samples\":2},"
                + "{\"node\":\"sh\",\"client\":\"5.6.7.0/24\",\"rtt_ms\":3.250,\"samples\":1}]"), rtts.json("sh", 10_000));
    }

    @Test
    void json_isSplitIntoBodiesUnderTheLimit() throws Exception {
        ClientBlockRtts rtts = new ClientBlockRtts();
        for (int i = 0; i < 300; i++) {
            rtts.add(InetAddress.getByName("10." + (i / 256) + "." + (i % 256) + ".1"), 1);
        }
        List<String> bodies = rtts.json("sh-telecom", RttReporter.MAX_BODY_CHARS);
        assertTrue(bodies.size() > 1);
        int items = 0;
        for (String body : bodies) {
            assertTrue(body.length() <= RttReporter.MAX_BODY_CHARS, body.length() + " chars");
            assertTrue(body.startsWith("[{") && body.endsWith("}]"));
            items += body.split("\\},\\{").length;
        }
        assertEquals(300, items);
    }
}
