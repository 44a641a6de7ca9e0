package dev.specdiff4j.server;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Slow and stalled clients lose their connection, and the number of connections is capped. The limits in these
 * tests are 1 s and a connection must be gone within 10 s: a deadline, not a speed.
 */
class ServerConnectionTest {
    private static final int CLOSED_WITHIN_MILLIS = 10_000;
    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final Duration LONG = Duration.ofMinutes(5);

    private static ServerSettings settings(Duration idle, Duration headerDeadline, int maxConnections) {
        return ServerFixture.settings().withConnections(new ServerSettings.Connections(idle, headerDeadline, 1024, maxConnections));
    }

    @Test
    void aClientThatSendsHalfItsHeadersAndStallsIsDisconnected() throws Exception {
        try (ServerFixture fx = new ServerFixture(settings(LONG, SHORT, 16)); Socket s = RawHttp.open(fx)) {
            RawHttp.write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
            s.setSoTimeout(CLOSED_WITHIN_MILLIS);
            assertThat(RawHttp.closedByServer(s)).as("closed by the header deadline").isTrue();
        }
    }

    @Test
    void aClientThatStallsInItsBodyIsDisconnectedByTheIdleTimeoutAndIsNotAServerFailure() throws Exception {
        try (ServerFixture fx = new ServerFixture(settings(SHORT, LONG, 16))) {
            try (Socket s = RawHttp.open(fx)) {
                RawHttp.write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 500\r\n\r\n{\"prompt\": \"hal");
                s.setSoTimeout(CLOSED_WITHIN_MILLIS);
                assertThat(RawHttp.closedByServer(s)).as("closed by the idle timeout").isTrue();
            }
            fx.awaitRunning(0);
            assertThat(fx.metric("specdiff4j_requests_failed_total")).isZero();
        }
    }

    @Test
    void connectionsBeyondTheLimitWaitUntilOneCloses() throws Exception {
        try (ServerFixture fx = new ServerFixture(settings(LONG, LONG, 1)); Socket first = RawHttp.open(fx); Socket second = RawHttp.open(fx)) {
            String health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            RawHttp.write(first, health);
            first.setSoTimeout(CLOSED_WITHIN_MILLIS);
            assertThat(first.getInputStream().read()).as("the first connection is served").isEqualTo('H');
            RawHttp.write(second, health.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
            second.setSoTimeout(500);
            assertThatThrownBy(() -> second.getInputStream().read()).as("not served while the first is open")
                    .isInstanceOf(SocketTimeoutException.class);
            first.close();
            second.setSoTimeout(CLOSED_WITHIN_MILLIS);
            assertThat(RawHttp.readAll(second)).startsWith("HTTP/1.1 200");
        }
    }
}
