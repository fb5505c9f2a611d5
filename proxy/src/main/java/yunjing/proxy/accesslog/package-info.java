/**
 * The JSON access log: one line per client request, written off the event loops by one thread per node
 * ({@link yunjing.proxy.accesslog.AccessLog}).
 */
package yunjing.proxy.accesslog;
