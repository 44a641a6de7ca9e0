package dev.specdiff4j.server;

import io.javalin.http.Context;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Checks made before any route runs, against requests a web page could make on the user's behalf: the Host
 * header must name this server (against DNS rebinding), a POST must be JSON (a cross-site form or
 * "simple" request cannot send application/json without a CORS preflight), and with an API key, /v1/*,
 * /tokenize and /detokenize need it as a bearer token (health checks and /metrics stay open for probes and scrapers;
 * they hold no prompt or reply). CORS is off unless origins are configured: then a
 * request from one of them gets the CORS headers, and its preflight (OPTIONS) is answered here.
 */
final class RequestGuard {
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1", "[::1]");

    private final Set<String> allowedHosts;
    private final byte[] apiKey;
    private final Set<String> corsOrigins;

    RequestGuard(ServerSettings settings) {
        ServerSettings.Access access = settings.access();
        this.apiKey = access.apiKey() == null ? null : access.apiKey().getBytes(StandardCharsets.UTF_8);
        this.corsOrigins = access.corsOrigins();
        if (isWildcard(settings.host()) && access.allowedHosts().isEmpty()) {
            this.allowedHosts = null; // bound to every interface with no list: any name may reach it
        } else {
            Set<String> names = new HashSet<>(LOOPBACK_NAMES);
            String bound = settings.host().toLowerCase(Locale.ROOT);
            names.add(bound.contains(":") ? "[" + bound + "]" : bound);
            for (String h : access.allowedHosts()) names.add(h.toLowerCase(Locale.ROOT));
            this.allowedHosts = Set.copyOf(names);
        }
    }

    void check(Context ctx) {
        checkHost(ctx.header("Host"));
        boolean allowedOrigin = cors(ctx);
        if ("OPTIONS".equals(ctx.method().name()) && !corsOrigins.isEmpty()) {
            preflight(ctx, allowedOrigin);
            return;
        }
        if (needsKey(ctx.path())) checkApiKey(ctx.header("Authorization"));
        if ("POST".equals(ctx.method().name())) checkJson(ctx.header("Content-Type"));
    }

    static boolean needsKey(String path) {
        return path.startsWith("/v1/") || path.equals("/tokenize") || path.equals("/detokenize");
    }

    /** Adds the CORS headers for an allowed Origin; true when the request came from one. */
    private boolean cors(Context ctx) {
        if (corsOrigins.isEmpty()) return false;
        ctx.header("Vary", "Origin");
        String origin = ctx.header("Origin");
        if (origin == null) return false;
        boolean any = corsOrigins.contains("*");
        if (!any && !corsOrigins.contains(origin)) return false;
        ctx.header("Access-Control-Allow-Origin", any ? "*" : origin);
        return true;
    }

    /** Answers a CORS preflight: 204 with what may be sent for an allowed origin, 403 otherwise. */
    private static void preflight(Context ctx, boolean allowedOrigin) {
        if (!allowedOrigin) {
            throw new ApiError(403, "invalid_request_error", null, "origin_not_allowed", "the origin "
                    + (ctx.header("Origin") == null ? "is missing" : "'" + ctx.header("Origin") + "' is not allowed") + "; add it with --cors-origin");
        }
        ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
        ctx.header("Access-Control-Max-Age", "600");
        ctx.status(204);
    }

    private void checkHost(String header) {
        if (allowedHosts == null) return;
        if (header == null || !allowedHosts.contains(hostName(header))) {
            throw new ApiError(403, "invalid_request_error", null, "host_not_allowed", "the Host header "
                    + (header == null ? "is missing" : "'" + header + "' does not name this server") + "; add the name with --allowed-hosts");
        }
    }

    private void checkApiKey(String header) {
        if (apiKey == null) return;
        String prefix = "Bearer ";
        boolean ok = header != null && header.regionMatches(true, 0, prefix, 0, prefix.length())
                && MessageDigest.isEqual(apiKey, header.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    "a valid API key is required: send it as 'Authorization: Bearer KEY'");
        }
    }

    private static void checkJson(String contentType) {
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new ApiError(415, "invalid_request_error", null, "unsupported_media_type",
                    "the request body must be JSON, sent with 'Content-Type: application/json'");
        }
    }

    /** The name in a Host header, without its port: "example.org:8080" → "example.org", "[::1]:80" → "[::1]". */
    static String hostName(String header) {
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    static boolean isWildcard(String host) {
        try {
            return InetAddress.getByName(host).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
