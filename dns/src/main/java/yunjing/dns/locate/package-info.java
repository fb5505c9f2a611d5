/**
 * Client location: where a query's client is (EDNS Client Subnet or the resolver's address),
 * from operator lines, GeoIP2 City, an ASN database or CSV, and an ASN → carrier/province table.
 * {@link yunjing.dns.locate.ClientLocator}, {@link yunjing.dns.locate.LocatorConfig},
 * {@link yunjing.dns.locate.Location} and {@link yunjing.dns.locate.Explanation} are public for
 * the operator tools; the sources are package-private.
 */
package yunjing.dns.locate;
