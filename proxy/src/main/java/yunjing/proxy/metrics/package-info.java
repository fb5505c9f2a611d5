/**
 * The node's meters, all named {@code yunjing.proxy.*} and tagged with {@code node}, so that several
 * nodes may share one registry (the local cluster runs seven in one JVM).
 *
 * <p>Internal to the proxy module: public only so that the sibling packages can use it.
 */
package yunjing.proxy.metrics;
