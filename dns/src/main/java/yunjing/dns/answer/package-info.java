/**
 * Authoritative answering of one standard query (RFC 1034 section 4.3.2): positive answers, CNAME
 * chasing, NXDOMAIN/NODATA with the SOA (RFC 2308), ANY (RFC 8482). Internal to {@code yunjing.dns}.
 */
package yunjing.dns.answer;
