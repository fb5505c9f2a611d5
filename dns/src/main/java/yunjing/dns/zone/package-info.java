/**
 * Zone data: the generated SOA/NS/glue, records from an RFC 1035 master file, and which names are
 * steered. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.zone;
