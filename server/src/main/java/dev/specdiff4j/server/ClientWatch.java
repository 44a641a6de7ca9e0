package dev.specdiff4j.server;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stops a generation as soon as its client goes away, even while nothing is written to it (a non-streamed
 * completion writes only at the end). Jetty reads nothing from a connection while its request is handled,
 * so it would not notice a hang-up; the watch looks at the connection every {@link #PROBE_EVERY} for the
 * end of input. HTTP/1.1 pipelining (a next request sent before this answer) is not supported meanwhile:
 * the watch stops looking once it sees such bytes, and they are lost.
 */
final class ClientWatch implements AutoCloseable {
    static final Duration PROBE_EVERY = Duration.ofMillis(100);

    private final EndPoint endPoint;
    private final RunningGeneration generation;
    private final ByteBuffer probe = ByteBuffer.allocate(64);
    private ScheduledFuture<?> schedule;
    private boolean closed;

    private ClientWatch(EndPoint endPoint, RunningGeneration generation) {
        this.endPoint = endPoint;
        this.generation = generation;
    }

    static ClientWatch on(Context ctx, RunningGeneration generation, ScheduledExecutorService timer) {
        Request request = ServletContextRequest.getServletContextRequest(ctx.req());
        request.addFailureListener(failure -> generation.stop(RunningGeneration.StopReason.CLIENT_GONE));
        Connection connection = request.getConnectionMetaData().getConnection();
        ClientWatch watch = new ClientWatch(connection.getEndPoint(), generation);
        synchronized (watch) {
            watch.schedule = timer.scheduleWithFixedDelay(watch::look, PROBE_EVERY.toMillis(), PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        }
        return watch;
    }

    private synchronized void look() {
        if (closed) return;
        int read;
        try {
            probe.clear().flip();
            read = endPoint.isOpen() ? endPoint.fill(probe) : -1;
        } catch (IOException e) {
            read = -1;
        }
        if (read != 0) {
            if (read < 0) generation.stop(RunningGeneration.StopReason.CLIENT_GONE);
            closed = true;
            schedule.cancel(false);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        schedule.cancel(false);
    }
}
