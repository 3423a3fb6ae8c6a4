package dev.allot.app.http;

/**
 * What one HTTP client may hold: a body's size, and the time a connection may take to send a request's headers
 * (from connecting, or from the previous response), and a request to be answered, body included.
 *
 * @param headerTimeoutMillis a connection that sends no complete request header in this time is closed: a
 *                            slow-headers client cannot hold connections, and an idle keep-alive one is let go
 * @param requestTimeoutMillis a decision or outcome not answered in this time (a body trickled in) gets 408
 * @param adminTimeoutMillis  the same for admin calls, which may compile rules or replay recorded decisions
 */
public record HttpLimits(long bodyLimit, long headerTimeoutMillis, long requestTimeoutMillis,
                         long adminTimeoutMillis) {

    public static final HttpLimits DEFAULT = new HttpLimits(64 * 1024, 15_000, 10_000, 120_000);

    public HttpLimits {
        if (bodyLimit < 1 || headerTimeoutMillis < 1 || requestTimeoutMillis < 1 || adminTimeoutMillis < 1) {
            throw new IllegalArgumentException("HTTP limits must be positive");
        }
    }

    public HttpLimits withBodyLimit(long bodyLimit) {
        return new HttpLimits(bodyLimit, headerTimeoutMillis, requestTimeoutMillis, adminTimeoutMillis);
    }
}
