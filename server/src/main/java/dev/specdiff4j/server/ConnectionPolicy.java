package dev.specdiff4j.server;

import io.javalin.config.JavalinConfig;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;

import java.util.concurrent.TimeUnit;

/**
 * How long and how slowly a client may hold a connection, and how many connections may be held: an idle
 * timeout, a deadline for the first request's headers (an idle timeout alone lets a client that trickles
 * one byte at a time hold a connection for ever), a minimum data rate for request bodies, and a cap on
 * open connections.
 *
 * <p>It installs its own connector: Javalin creates its default connector only after {@code modifyServer}
 * has run, so settings applied there never reach the connector that serves.
 */
final class ConnectionPolicy {
    private ConnectionPolicy() {
    }

    static void apply(JavalinConfig config, ServerSettings settings) {
        ServerSettings.Connections limits = settings.connections();
        config.jetty.modifyHttpConfiguration(http -> {
            http.setIdleTimeout(limits.idleTimeout().toMillis());
            http.setMinRequestDataRate(limits.minRequestBytesPerSecond());
        });
        config.jetty.addConnector((server, http) -> {
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
            connector.setHost(settings.host());
            connector.setPort(settings.port());
            connector.setIdleTimeout(limits.idleTimeout().toMillis());
            connector.addBean(headerDeadline(connector, limits.requestHeaderDeadline().toMillis()));
            return connector;
        });
        config.jetty.modifyServer(server -> server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server)));
    }

    /** Closes a connection that has not completed its first request's headers within the deadline. */
    private static Connection.Listener headerDeadline(ServerConnector connector, long millis) {
        return new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                connector.getScheduler().schedule(() -> {
                    if (connection.getMessagesIn() == 0 && connection.getEndPoint().isOpen()) connection.getEndPoint().close();
                }, millis, TimeUnit.MILLISECONDS);
            }
        };
    }
}
