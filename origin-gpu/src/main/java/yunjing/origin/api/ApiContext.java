package yunjing.origin.api;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.netty.channel.ChannelHandler;

import java.util.function.Supplier;
import java.util.concurrent.ExecutorService;

/**
 * What every connection's handlers share; immutable (the model snapshot inside {@code models} changes on a hot swap).
 *
 * @param serverHeader value of the {@code Server} header, {@code yunjing-origin/<nodeId>}
 * @param models       served models by id, in the order {@code /v1/models} lists them
 * @param inference    runs tokenization and generation, never the event loop
 * @param frontHandler null, or a handler per connection/stream that answers the requests it owns before the API
 */
record ApiContext(String serverHeader, ServedModels models, ExecutorService inference,
                  OriginMetrics metrics, ObjectMapper json, int maxBodyBytes, Supplier<ChannelHandler> frontHandler) {
    /** No front handler. */
    ApiContext(String serverHeader, ServedModels models, ExecutorService inference,
               OriginMetrics metrics, ObjectMapper json, int maxBodyBytes) {
        this(serverHeader, models, inference, metrics, json, maxBodyBytes, null);
    }
}
