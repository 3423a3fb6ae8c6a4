package dev.allot.app.http;

import java.util.List;
import java.util.Map;

/**
 * Every error the API returns: an HTTP status, a stable code, a message a person can act on, and the
 * request field at fault (or null). Rendered as {@code {"error", "message", "field"}} plus optional details;
 * never a stack trace.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final String field;
    private final Map<String, Object> details;

    protected ApiException(int status, String code, String message, String field, Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
        this.details = details == null ? Map.of() : Map.copyOf(details);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }

    public Map<String, Object> details() {
        return details;
    }

    /** 400: the request is malformed or a field is invalid. */
    public static final class BadRequest extends ApiException {
        public BadRequest(String code, String field, String message) {
            super(400, code, message, field, null);
        }
    }

    /** 404: an unknown city, decision or route. */
    public static final class NotFound extends ApiException {
        public NotFound(String field, String message) {
            super(404, "not_found", message, field, null);
        }
    }

    /** 413: the body is larger than the configured limit. */
    public static final class PayloadTooLarge extends ApiException {
        public PayloadTooLarge(long limit) {
            super(413, "payload_too_large", "request body exceeds " + limit + " bytes", null, null);
        }
    }

    /** 401 or 403: admin calls without a valid token, or with the admin API disabled. */
    public static final class Unauthorized extends ApiException {
        public Unauthorized(int status, String message) {
            super(status, status == 401 ? "unauthorized" : "forbidden", message, null, null);
        }
    }

    /** 422: rules that do not compile; each error carries its file and line. */
    public static final class RulesRejected extends ApiException {
        public RulesRejected(List<Map<String, Object>> errors) {
            super(422, "rules_rejected", "rule set does not compile: " + errors.size() + " error(s)", "files",
                    Map.of("errors", errors));
        }
    }

    /** 422: a model that cannot serve this city (corrupt, or trained for another schema or ladder). */
    /** 408: the request was not complete (or not answered) within its time limit. */
    public static final class RequestTimeout extends ApiException {
        public RequestTimeout() {
            super(408, "request_timeout", "the request was not complete within its time limit", null, null);
        }
    }

    /** 409: the change conflicts with the rule set's state (unapproved, self-approved, failing examples). */
    public static final class Conflict extends ApiException {
        public Conflict(String code, String message) {
            this(code, null, message);
        }

        public Conflict(String code, String field, String message) {
            super(409, code, message, field, null);
        }
    }

    public static final class ModelRejected extends ApiException {
        public ModelRejected(String message) {
            super(422, "model_rejected", message, "path", null);
        }
    }

    /** 503: not ready to decide (no model or no rules loaded for the city). */
    public static final class Unavailable extends ApiException {
        public Unavailable(String message) {
            this("unavailable", message);
        }

        public Unavailable(String code, String message) {
            super(503, code, message, null, null);
        }
    }

    /** 405: a known path with the wrong method. */
    public static final class MethodNotAllowed extends ApiException {
        public MethodNotAllowed(String message) {
            super(405, "method_not_allowed", message, null, null);
        }
    }

    /** 500: a fault of ours; the message is generic and the cause is logged, not returned. */
    public static final class Internal extends ApiException {
        public Internal() {
            super(500, "internal_error", "internal error; see the service log", null, null);
        }
    }
}
