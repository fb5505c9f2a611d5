package yunjing.origin.api;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * What every connection's handlers share; immutable.
 *
 * @param serverHeader value of the {@code Server} header, {@code yunjing-origin/<nodeId>}
 * @param models       served models by id, in the order {@code /v1/models} lists them
 * @param inference    runs tokenization and generation, never the event loop
 */
record ApiContext(String serverHeader, Map<String, ServedModel> models, ExecutorService inference,
                  OriginMetrics metrics, ObjectMapper json, int maxBodyBytes) {}
