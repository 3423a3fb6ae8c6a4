package dev.allot.app.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an admin request against its operation in the OpenAPI contract ({@link ApiContract}) before the handler
 * reads it: the schema the contract publishes is the one enforced, and a request outside it gets a 400 naming the
 * field. Handlers keep their own checks of what a schema cannot say (λ within the city's bounds, a known city).
 *
 * <p>The request is handed to Vert.x's validator as already read (the router's body handler has it), because the
 * validator's own reading of the request would race the body handler for the body.
 */
final class ContractValidator {

    /** How Vert.x's JSON schema validator names a missing required property. */
    private static final java.util.regex.Pattern REQUIRED = java.util.regex.Pattern.compile(
            "required property \"([^\"]+)\"");

    private final OpenAPIContract contract;
    private final RequestValidator validator;

    private ContractValidator(OpenAPIContract contract, RequestValidator validator) {
        this.contract = contract;
        this.validator = validator;
    }

    /** The contract in the jar, resolved and ready to validate. */
    static Future<ContractValidator> load(Vertx vertx) {
        return OpenAPIContract.from(vertx, ApiContract.RESOURCE)
                .map(c -> new ContractValidator(c, RequestValidator.create(vertx, c)));
    }

    /** A handler that lets the request on if it fits the contract's {@code operationId}, else fails it with a 400. */
    Handler<RoutingContext> check(String operationId) {
        Operation operation = contract.operation(operationId);
        if (operation == null) {
            throw new IllegalArgumentException("the contract has no operation " + operationId);
        }
        return ctx -> {
            Map<String, RequestParameter> path = new HashMap<>();
            ctx.pathParams().forEach((k, v) -> path.put(k, new RequestParameterImpl(v)));
            Map<String, RequestParameter> query = new HashMap<>();
            ctx.queryParams().forEach((k, v) -> query.put(k, new RequestParameterImpl(v)));
            Buffer body = ctx.body().buffer();
            boolean empty = body == null || body.length() == 0;
            String type = empty ? null : contentType(ctx);
            RequestParameter content = new RequestParameterImpl(empty ? null : body);
            validator.validate(new ValidatableRequestImpl(Map.of(), Map.of(), path, query, content, type), operationId)
                    .onSuccess(v -> ctx.next())
                    .onFailure(e -> ctx.fail(badRequest(e)));
        };
    }

    /** The body's type as the contract knows it: JSON whatever the client called it, since handlers parse JSON. */
    private static String contentType(RoutingContext ctx) {
        String header = ctx.request().getHeader("content-type");
        return header != null && header.startsWith("application/json") ? header : "application/json";
    }

    /** The validator's verdict as the API's error: the field at fault and what is wrong with it. */
    static ApiException badRequest(Throwable e) {
        if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
            OutputUnit at = deepest(schema.getOutputUnit());
            String field = field(at.getInstanceLocation());
            String problem = at.getError() != null ? at.getError() : schema.getMessage();
            java.util.regex.Matcher missing = REQUIRED.matcher(problem);
            if (missing.find()) {
                // A missing property is reported at the object that lacks it; the field at fault is the property.
                field = field == null ? missing.group(1) : field + "." + missing.group(1);
            }
            return new ApiException.BadRequest("invalid_request", field,
                    (field == null ? "the body" : field) + ": " + problem);
        }
        if (e instanceof ValidatorException v) {
            return new ApiException.BadRequest("invalid_request", null, v.getMessage());
        }
        return e instanceof ApiException api ? api : new ApiException.BadRequest("invalid_request", null,
                String.valueOf(e.getMessage()));
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
            if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
                out.append('[').append(name).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(name);
            }
        }
        return out.toString();
    }
}
