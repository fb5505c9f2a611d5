/** Cache warming (prefetch): URLs fetched through the node's own cache, as a client would, bodies discarded. */
package yunjing.proxy.warm;
