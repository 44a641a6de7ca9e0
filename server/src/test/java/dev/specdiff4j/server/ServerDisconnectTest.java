package dev.specdiff4j.server;

import org.junit.jupiter.api.Test;

import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/** A client that hangs up stops its generation, streamed or not, and is counted as a client abort, not a server failure. */
class ServerDisconnectTest {
    private static final int MAX_TOKENS = ServerFixture.LONG_CONTEXT - 100;

    @Test
    void aPlainRequestWhoseClientHangsUpIsCancelledLongBeforeItsEnd() throws Exception {
        try (ServerFixture fx = ServerFixture.longContext(ServerFixture.settings())) {
            try (Socket s = RawHttp.open(fx)) {
                RawHttp.write(s, RawHttp.post("/v1/completions", "{\"prompt\": \"The quick\", \"max_tokens\": " + MAX_TOKENS
                        + ", \"temperature\": 0}"));
                fx.awaitRunning(1);
            }
            fx.awaitRunning(0);
            assertThat(fx.metric("specdiff4j_requests_cancelled_total")).isEqualTo(1);
            assertThat(fx.metric("specdiff4j_requests_client_aborted_total")).isEqualTo(1);
            assertThat(fx.metric("specdiff4j_requests_failed_total")).isZero();
            assertThat(fx.metric("specdiff4j_generated_tokens_total")).as("tokens generated before the cancel").isLessThan(MAX_TOKENS / 2);
        }
    }
}
