package dev.allot.app.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.RequestBody;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an admin request's body against its operation in the OpenAPI contract ({@link ApiContract}) before the
 * handler reads it: the schema the contract publishes is the one enforced, and a body outside it gets a 400
 * naming the field. Handlers keep their own checks of what a schema cannot say (λ within the city's bounds, a
 * known city) and of path and query parameters.
 *
 * <p>The body's schema comes from the contract as Vert.x's {@code vertx-openapi} resolves it and is applied with
 * its JSON schema validator, synchronously on the event loop (it takes microseconds): Vert.x's own request
 * validator would run it as ordered blocking work on the verticle's context, where an incident's λ freeze would
 * queue behind a rule dry-run. A body that is not JSON is left to the handler, whose parser names the line and
 * column.
 */
final class ContractValidator {

    /** How Vert.x's JSON schema validator names a missing required property. */
    private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");

    private final OpenAPIContract contract;

    private ContractValidator(OpenAPIContract contract) {
        this.contract = contract;
    }

    /** The contract in the jar, resolved and ready to validate. */
    static Future<ContractValidator> load(Vertx vertx) {
        return OpenAPIContract.from(vertx, ApiContract.RESOURCE).map(ContractValidator::new);
    }

    /** A handler that lets the request on if its body fits the contract's {@code operationId}, else fails it. */
    Handler<RoutingContext> check(String operationId) {
        Operation operation = contract.operation(operationId);
        if (operation == null) {
            throw new IllegalArgumentException("the contract has no operation " + operationId);
        }
        RequestBody declared = operation.getRequestBody();
        MediaType json = declared == null ? null : declared.getContent().get("application/json");
        if (json == null || json.getSchema() == null) {
            throw new IllegalArgumentException(operationId + " declares no JSON body to check");
        }
        Validator validator = contract.getSchemaRepository().validator(json.getSchema());
        return ctx -> {
            Buffer body = ctx.body().buffer();
            if (body == null || body.length() == 0) {
                // The handler knows whether it needs one, and says so.
                ctx.next();
                return;
            }
            Object value;
            try {
                value = Json.decodeValue(body);
            } catch (DecodeException e) {
                ctx.next();
                return;
            }
            OutputUnit result = validator.validate(withoutNulls(value));
            if (Boolean.TRUE.equals(result.getValid())) {
                ctx.next();
            } else {
                ctx.fail(badRequest(result));
            }
        };
    }

    /**
     * The body without its top-level nulls: every handler reads a null field as an absent one, and the contract
     * (OpenAPI 3.0, where {@code null} is not a type) would otherwise refuse what the handler accepts.
     */
    private static Object withoutNulls(Object value) {
        if (value instanceof JsonObject object) {
            JsonObject copy = object.copy();
            object.fieldNames().stream().filter(name -> object.getValue(name) == null).toList().forEach(copy::remove);
            return copy;
        }
        return value;
    }

    /** The validator's verdict as the API's error: the field at fault and what is wrong with it. */
    static ApiException badRequest(OutputUnit result) {
        OutputUnit at = deepest(result);
        String field = field(at.getInstanceLocation());
        String problem = at.getError() != null ? at.getError() : "does not match the contract";
        Matcher missing = REQUIRED.matcher(problem);
        if (missing.find()) {
            // A missing property is reported at the object that lacks it; the field at fault is the property.
            field = field == null ? missing.group(1) : field + "." + missing.group(1);
        }
        return new ApiException.BadRequest("invalid_request", field, (field == null ? "the body" : field) + ": "
                + problem);
    }

    /** The innermost error: the one that names the field itself rather than the object holding it. */
    private static OutputUnit deepest(OutputUnit unit) {
        OutputUnit best = unit;
        List<OutputUnit> errors = unit.getErrors();
        if (errors != null) {
            for (OutputUnit child : errors) {
                OutputUnit d = deepest(child);
                if (depth(d.getInstanceLocation()) > depth(best.getInstanceLocation())) {
                    best = d;
                }
            }
        }
        return best;
    }

    private static int depth(String location) {
        return location == null ? -1 : (int) location.chars().filter(c -> c == '/').count();
    }

    /** {@code #/days/0} or {@code /days/0} as {@code days[0]}; the root as null. */
    static String field(String location) {
        if (location == null) {
            return null;
        }
        String path = location.startsWith("#") ? location.substring(1) : location;
        if (path.isEmpty() || path.equals("/")) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            String name = part.replace("~1", "/").replace("~0", "~");
            if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                out.append('[').append(name).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(name);
            }
        }
        return out.toString();
    }
}
