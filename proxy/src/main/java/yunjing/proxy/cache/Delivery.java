package yunjing.proxy.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamExchange;
import yunjing.proxy.upstream.UpstreamListener;

/**
 * Delivers one response to one client exchange: either a stored (or filling) entry, read at the client's
 * pace and following the fill while it grows, or a parent's response relayed as it arrives when the
 * response turned out not to be storable.
 *
 * <h2>States</h2>
 * <em>waiting</em> (for a lookup or fill to decide) → <em>reading</em> an entry or <em>relaying</em> →
 * <em>done</em>; <em>aborted</em> at any time by the client side.
 *
 * <h2>Threads and buffers</h2>
 * Confined to {@link #loop}, the client's event loop: the decision may come from another loop (a fill
 * started by another client), so {@link #serveEntry} and {@link #fail} hop onto {@link #loop}, and are
 * never run inline, so the listener is never called back from inside {@code HttpCache.serve}. Body pieces
 * of an entry are heap arrays shared by all readers; the pieces that are there go out wrapped in a new
 * buffer (a composite of several, up to {@link #GATHER_BYTES}) whose ownership passes to the listener.
 * Relayed contents pass from the parent exchange to the listener. A body in an L2 file, for a client with a
 * {@link FileRegionSink}, goes out as file regions instead ({@link #pumpFile}): the delivery holds one
 * reference to the {@link DiskBody} and each region in the channel another; {@link #abort} and every end
 * release the delivery's.
 */
final class Delivery implements ResponseHandle {

    private static final DefaultHttpHeadersFactory UNCHECKED_HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final HttpCache cache;
    final EventLoop loop;
    final CacheRequest request;
    private final UpstreamListener listener;
    /** Where bodies in L2 files go with sendfile; null when the client takes bytes only. */
    private final FileRegionSink files;
    private final Runnable wakeup;

    private boolean started;
    private boolean aborted;
    private boolean paused;
    private boolean done;
    private CacheEntry entry;
    /** What {@link #pump} reads: the entry's body, or for a sliced entry the current slice's; null while a slice is found. */
    private GrowingBody body;
    /** The slice {@link #body} is, for a sliced entry. */
    private int slice;
    /** The digest check of a sliced entry naming a SHA-256, else null. */
    private SlicedDigest digestCheck;
    private int next;
    /** Offset in the object of the piece at {@link #next}. */
    private long position;
    /** The bytes sent: [rangeStart, rangeEnd) of the body; the whole body unless a Range selected part. */
    private long rangeStart;
    private long rangeEnd = Long.MAX_VALUE;
    private UpstreamExchange relay;
    /** The L2 file being sent by sendfile (the entry's, or the current slice's), else null; one reference held. */
    private DiskBody file;
    /** Offset in the object of {@link #file}'s first body byte (the slice's start; 0 for a whole entry). */
    private long fileStart;
    /** Regions written to the client and not yet done: at most {@link #REGIONS_IN_FLIGHT}. */
    private int regionsInFlight;

    Delivery(HttpCache cache, EventLoop loop, CacheRequest request, UpstreamListener listener, FileRegionSink files) {
        this.cache = cache;
        this.loop = loop;
        this.request = request;
        this.listener = listener;
        this.files = files;
        this.wakeup = () -> loop.execute(this::pump);
    }

    /** Serves {@code stored} with {@code status} as this node's Cache-Status entry. Any thread. */
    void serveEntry(CacheEntry stored, String status) {
        loop.execute(() -> startEntry(stored, status));
    }

    /**
     * Serves a complete in-memory entry at once, on {@link #loop}: the listener gets the head and the whole
     * body before this returns (a complete body never makes {@link #pump} wait).
     */
    void serveEntryNow(CacheEntry stored, String status) {
        startEntry(stored, status);
    }

    /**
     * Serves {@code head} with its body in {@code found}, an L2 file opened for sending, by sendfile; ownership
     * of the reference passes here. {@code head} is the file's own head, or for a body stored by digest
     * ({@link DigestBodies}) the URL's head, {@code found} being the body's file. Any thread.
     */
    void serveFile(CacheEntry head, DiskBody found, String status) {
        loop.execute(() -> {
            if (aborted || started) {
                found.release();
                return;
            }
            file = found;
            fileStart = 0;
            startEntry(head, status);
        });
    }

    /** Whether the client takes body bytes as file regions ({@link FileRegionSink}). */
    boolean takesFileRegions() {
        return files != null;
    }

    /** Answers with an error. Any thread. */
    void fail(UpstreamException cause) {
        loop.execute(() -> {
            if (!aborted && !started) {
                started = true;
                done = true;
                listener.onFailure(cause);
            }
        });
    }

    boolean isAborted() {
        return aborted;
    }

    private void startEntry(CacheEntry stored, String status) {
        if (aborted || started) {
            return;
        }
        started = true;
        entry = stored;
        // The stored fields were validated when they were received: copied without checking each again.
        HttpHeaders headers = UNCHECKED_HEADERS.newHeaders().set(stored.headers);
        // The Age a cache sends is its current_age in seconds (RFC 9111 §5.1, §4.2.3).
        headers.set(HttpHeaderNames.AGE, Long.toString(stored.age(cache.now()) / 1000));
        ProxyHeaders.appendListMember(headers, ProxyHeaders.CACHE_STATUS, cache.nodeId() + "; " + status);
        if (stored.status.code() == 200 && CachePolicy.notModified(request.head().headers(), stored.headers)) {
            // The client's own validators match what we hold: 304 (RFC 9110 §13.1.1, §15.4.5).
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            finishBodyless(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED, headers));
            return;
        }
        long known = file != null ? file.length : stored.knownLength();
        if (known >= 0) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(known));
        }
        HttpResponseStatus responseStatus = stored.status;
        if (stored.status.code() == 200) {
            headers.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        }
        String range = request.head().headers().get(HttpHeaderNames.RANGE);
        if (range != null && !request.isHead() && stored.status.code() == 200) {
            // RFC 9110 §14.2: Range applies to GET; a joiner of a fill knows the length from Content-Length,
            // else (length not known yet) the Range is ignored and the whole body is sent.
            long length = known >= 0 ? known : declaredLength(stored.headers);
            long[] selected = length >= 0 && ByteRanges.ifRangeAllows(request.head().headers(), stored.headers)
                    ? ByteRanges.resolve(range, length) : null;
            if (selected == ByteRanges.UNSATISFIABLE) {
                // §15.5.17: 416 with the current length in Content-Range.
                HttpHeaders unsatisfiable = new DefaultHttpHeaders()
                        .set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length)
                        .set(HttpHeaderNames.CONTENT_LENGTH, "0")
                        .set(ProxyHeaders.CACHE_STATUS, headers.getAll(ProxyHeaders.CACHE_STATUS));
                copyIfPresent(stored.headers, unsatisfiable, HttpHeaderNames.DATE, HttpHeaderNames.ETAG,
                        HttpHeaderNames.LAST_MODIFIED);
                finishBodyless(new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, unsatisfiable));
                return;
            }
            if (selected != null) {
                // §15.3.7: 206 with Content-Range; the body is the selected bytes only.
                rangeStart = selected[0];
                rangeEnd = selected[1] + 1;
                responseStatus = HttpResponseStatus.PARTIAL_CONTENT;
                headers.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + selected[0] + "-" + selected[1] + "/" + length);
                headers.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(rangeEnd - rangeStart));
            }
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, responseStatus, headers);
        if (request.isHead()) {
            finishBodyless(head);
            return;
        }
        listener.onResponseHead(head);
        if (stored.isSliced()) {
            rangeEnd = Math.min(rangeEnd, stored.slicedLength);
            if (rangeStart >= rangeEnd) {
                done = true; // an empty object
                listener.onResponseContent(LastHttpContent.EMPTY_LAST_CONTENT);
                return;
            }
            digestCheck = cache.slicedDigests().check(stored);
            acquireSlice((int) (rangeStart / cache.slices().sliceBytes()));
        } else if (file != null) {
            position = rangeStart;
            rangeEnd = Math.min(rangeEnd, file.length);
            pump();
        } else {
            body = stored.body;
            pump();
        }
    }

    /**
     * Finds slice {@code index} of the sliced entry (asking for the next one too), then pumps it. A client
     * that takes file regions gets a slice found only in L2 by sendfile, unless the object's digest check
     * needs this slice's bytes next (see {@link SlicedDigest#wants}).
     */
    private void acquireSlice(int index) {
        body = null;
        slice = index;
        Slices slices = cache.slices();
        boolean fromFile = files != null && (digestCheck == null || !digestCheck.wants(index));
        slices.acquire(entry, request, index, loop, fromFile, new Slices.Callback() {
            @Override
            public void ready(CacheEntry found) {
                if (aborted || done) {
                    return;
                }
                body = found.body;
                next = 0;
                position = slices.start(index);
                prefetchAfter(index);
                pump();
            }

            @Override
            public void readyInFile(DiskBody found) {
                if (aborted || done) {
                    found.release();
                    return;
                }
                file = found;
                fileStart = slices.start(index);
                position = Math.max(rangeStart, fileStart);
                prefetchAfter(index);
                pump();
            }

            @Override
            public void failed(UpstreamException cause) {
                if (!aborted && !done) {
                    done = true;
                    listener.onFailure(cause);
                }
            }
        });
    }

    private void prefetchAfter(int index) {
        Slices slices = cache.slices();
        if (rangeEnd > slices.start(index + 1)) {
            slices.prefetch(entry, request, index + 1, loop, files == null);
        }
    }

    private static long declaredLength(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void copyIfPresent(HttpHeaders from, HttpHeaders to, CharSequence... names) {
        for (CharSequence name : names) {
            String value = from.get(name);
            if (value != null) {
                to.set(name, value);
            }
        }
    }

    private void finishBodyless(HttpResponse head) {
        done = true;
        releaseFile();
        listener.onResponseHead(head);
        if (!aborted) {
            listener.onResponseContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /**
     * Moves body pieces to the listener while the client can take them and they are there. Pieces that are
     * there already go out gathered into writes of up to {@link #GATHER_BYTES} (pieces are what the parent
     * connection read, often 8 KiB): one write and one copy into the socket's buffer instead of many. The
     * bytes that end the response go out as its last content (for h2, DATA with END_STREAM, not an extra
     * empty frame).
     */
    private void pump() {
        if (file != null) {
            pumpFile();
            return;
        }
        Gathered gathered = new Gathered();
        while (body != null && !done && !aborted && !paused) {
            byte[] piece = body.poll(next, wakeup);
            if (piece != null && piece != GrowingBody.END && piece != GrowingBody.FAILED) {
                next++;
                long pieceStart = position;
                long pieceEnd = position + piece.length;
                position = pieceEnd;
                if (pieceEnd <= rangeStart) {
                    continue; // before the range
                }
                if (digestCheck != null && pieceEnd == entry.slicedLength
                        && digestCheck.offer(slice, body) == SlicedDigest.Verdict.MISMATCH) {
                    // The object's last byte is withheld: no client gets all of an object failing its digest.
                    cache.slicedDigests().mismatch(entry, digestCheck);
                    done = true;
                    listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                            "the object's slices do not match its SHA-256", null));
                    return;
                }
                int from = (int) (Math.max(rangeStart, pieceStart) - pieceStart);
                int to = (int) (Math.min(rangeEnd, pieceEnd) - pieceStart);
                gathered.add(piece, from, to - from);
                if (pieceEnd >= rangeEnd) {
                    send(gathered, true); // the range is complete; the rest of the body is not needed
                } else if (gathered.bytes >= GATHER_BYTES) {
                    send(gathered, false);
                }
                continue;
            }
            if (piece == GrowingBody.END && !entry.isSliced()
                    && (rangeEnd == Long.MAX_VALUE || position >= rangeEnd)) {
                send(gathered, true);
                return;
            }
            send(gathered, false);
            if (done || aborted) {
                return; // sending ended the exchange (the client went away)
            }
            if (piece == null) {
                return; // caught up with the fill: wakeup runs when the next piece arrives
            }
            if (piece == GrowingBody.END && entry.isSliced()) {
                Slices slices = cache.slices();
                if (position != slices.start(slice) + slices.length(entry, slice)) {
                    done = true; // a stored slice of the wrong length: cut off rather than send wrong bytes
                    listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                            "a cached slice has the wrong length", null));
                    return;
                }
                if (digestCheck != null) {
                    digestCheck.offer(slice, body);
                }
                acquireSlice(slice + 1); // not the last slice: the range ends after it
                return;
            }
            done = true;
            if (piece == GrowingBody.END) {
                // The body ended before the promised range (shorter than its Content-Length): cut off.
                listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                        "the cached body ended before the requested range", null));
            } else {
                listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                        "the parent's response broke off while it was being cached", null));
            }
        }
        send(gathered, false);
    }

    /**
     * Sends {@link #file}'s bytes of the range as file regions of up to {@link #REGION_BYTES}, the next when
     * one is written ({@link #REGIONS_IN_FLIGHT} at most in the channel: a region weighs nothing in the
     * channel's writability, so the pace comes from the write completions). Then the next slice, or the end.
     */
    private void pumpFile() {
        long end = Math.min(rangeEnd, fileStart + file.length);
        while (!done && !aborted && !paused && regionsInFlight < REGIONS_IN_FLIGHT && position < end) {
            long count = Math.min(REGION_BYTES, end - position);
            if (digestCheck != null && position + count == entry.slicedLength
                    && digestCheck.verdict() == SlicedDigest.Verdict.MISMATCH) {
                // As in the memory path: the object's last byte is withheld when its digest failed.
                done = true;
                releaseFile();
                listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                        "the object's slices do not match its SHA-256", null));
                return;
            }
            var region = file.region(position - fileStart, count);
            position += count;
            regionsInFlight++;
            cache.servedBySendfile(count);
            // Resumed from a task of its own: a write may complete inside onResponseRegion, mid-loop.
            files.onResponseRegion(region).addListener(written -> {
                regionsInFlight--;
                if (written.isSuccess()) {
                    loop.execute(this::pump);
                }
            });
        }
        if (done || aborted || position < end) {
            return;
        }
        releaseFile();
        if (entry.isSliced() && position < rangeEnd) {
            acquireSlice(slice + 1);
            return;
        }
        done = true;
        listener.onResponseContent(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** Bytes of one file region at most: the sendfile calls' size, and what one region holds of the channel. */
    static final long REGION_BYTES = 1 << 20;
    /** Regions handed to the channel and not yet written, at most: one being sent, one ready behind it. */
    static final int REGIONS_IN_FLIGHT = 2;

    private void releaseFile() {
        if (file != null) {
            file.release();
            file = null;
        }
    }

    /** Bytes of pieces sent as one content at most (a few pieces; what the transport copies in one go). */
    static final int GATHER_BYTES = 64 * 1024;

    /** Pieces taken by {@link #pump} and not sent yet: plain wrappers of the shared arrays, nothing to release. */
    private static final class Gathered {
        private final ArrayList<ByteBuf> parts = new ArrayList<>(8);
        private int bytes;

        void add(byte[] piece, int from, int length) {
            parts.add(Unpooled.wrappedBuffer(piece, from, length));
            bytes += length;
        }
    }

    /**
     * Sends what {@code gathered} holds as one content and empties it; with {@code last}, as the last
     * content (empty if nothing is gathered) and the delivery is done. Nothing is sent once aborted or done.
     */
    private void send(Gathered gathered, boolean last) {
        if (gathered.parts.isEmpty() && !last) {
            return;
        }
        // New wrappers per reader around the shared, never-modified arrays; the listener owns them.
        ByteBuf content = switch (gathered.parts.size()) {
            case 0 -> Unpooled.EMPTY_BUFFER;
            case 1 -> gathered.parts.get(0);
            default -> Unpooled.wrappedBuffer(gathered.parts.size(), gathered.parts.toArray(new ByteBuf[0]));
        };
        int bytes = gathered.bytes;
        gathered.parts.clear();
        gathered.bytes = 0;
        if (aborted || done) {
            content.release();
            return;
        }
        if (bytes > 0) {
            cache.servedFromMemory(bytes);
        }
        if (last) {
            done = true;
            listener.onResponseContent(bytes == 0 ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultLastHttpContent(content));
        } else {
            listener.onResponseContent(new DefaultHttpContent(content));
        }
    }

    /** Whether the client asked with HEAD: it gets a stored or filled response's head alone. */
    boolean isHeadRequest() {
        return request.isHead();
    }

    /** Whether the client asked for a range of a GET (RFC 9110 §14.2: Range is ignored for other methods). */
    boolean wantsRange() {
        return !request.isHead() && request.head().headers().contains(HttpHeaderNames.RANGE);
    }

    /**
     * Sends the client's own request, Range and conditions included, and relays the answer. For a Range
     * request whose object is too large to cache: the parent answers the range itself rather than this
     * node passing on the whole object (slices of large objects are a later step). On {@link #loop}.
     */
    void forwardAsIs() {
        if (aborted || started) {
            return;
        }
        UpstreamListener relayed = new UpstreamListener() {
            @Override
            public void onInformational(HttpResponse response) {
            }

            @Override
            public void onResponseHead(HttpResponse response) {
                relayHead(relay, response, "fwd=miss");
            }

            @Override
            public void onResponseContent(HttpContent content) {
                relayContent(content);
            }

            @Override
            public void onWritabilityChanged(boolean writable) {
                // The request has no body.
            }

            @Override
            public void onFailure(UpstreamException cause) {
                if (started) {
                    relayFailure(cause);
                } else if (!aborted) {
                    started = true;
                    done = true;
                    listener.onFailure(cause);
                }
            }
        };
        relay = cache.upstream().send(request.head(), loop, relayed);
        relay.write(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** Relays a parent's response that is not stored: from here on this delivery forwards. On {@link #loop}. */
    void relayHead(UpstreamExchange upstream, HttpResponse response, String status) {
        relay = upstream;
        if (aborted || started) {
            upstream.abort();
            return;
        }
        started = true;
        ProxyHeaders.appendListMember(response.headers(), ProxyHeaders.CACHE_STATUS, cache.nodeId() + "; " + status);
        listener.onResponseHead(response);
        if (paused) {
            upstream.pauseResponse();
        }
    }

    /** Ownership of {@code content} passes here. On {@link #loop}. */
    void relayContent(HttpContent content) {
        if (aborted || done) {
            content.release();
            return;
        }
        if (content instanceof LastHttpContent) {
            done = true;
        }
        listener.onResponseContent(content);
    }

    void relayFailure(UpstreamException cause) {
        if (!aborted && !done) {
            done = true;
            listener.onFailure(cause);
        }
    }

    @Override
    public void pause() {
        paused = true;
        if (relay != null) {
            relay.pauseResponse();
        }
    }

    @Override
    public void resume() {
        paused = false;
        if (relay != null) {
            relay.resumeResponse();
        } else {
            pump();
        }
    }

    @Override
    public void abort() {
        aborted = true;
        releaseFile();
        if (relay != null) {
            relay.abort();
        }
    }
}
