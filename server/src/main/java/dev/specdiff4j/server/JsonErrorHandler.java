package dev.specdiff4j.server;

import dev.specdiff4j.json.Json;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Errors Jetty answers itself, before a route runs (a malformed request line, a bad Content-Length, a URL or
 * headers too long), in the API's own format instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final HttpField JSON = new HttpField(HttpHeader.CONTENT_TYPE, "application/json");

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        response.getHeaders().put(JSON);
        response.write(true, body(status), callback);
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(JSON);
        return body(status);
    }

    static ByteBuffer body(int status) {
        ApiError error = new ApiError(status, status >= 500 ? "server_error" : "invalid_request_error", null, null, message(status));
        return ByteBuffer.wrap(Json.write(error.body()).getBytes(StandardCharsets.UTF_8));
    }

    private static String message(int status) {
        return switch (status) {
            case HttpStatus.BAD_REQUEST_400 -> "the request is not valid HTTP (check the request line, Content-Length and headers)";
            case HttpStatus.REQUEST_TIMEOUT_408 -> "the request was not sent in time";
            case HttpStatus.PAYLOAD_TOO_LARGE_413 -> "the request body is too large";
            case HttpStatus.URI_TOO_LONG_414 -> "the request URL is too long";
            case HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431 -> "the request headers are too large";
            case HttpStatus.NOT_IMPLEMENTED_501 -> "the request uses an HTTP feature this server does not implement";
            case HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505 -> "the HTTP version is not supported";
            default -> status >= 500 ? "the server could not process the request" : "the request could not be processed (HTTP " + status + ")";
        };
    }
}
