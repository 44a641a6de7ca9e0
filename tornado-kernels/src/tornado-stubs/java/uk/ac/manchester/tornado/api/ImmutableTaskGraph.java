package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's ImmutableTaskGraph (made by {@link TaskGraph#snapshot()}). */
public class ImmutableTaskGraph {
    ImmutableTaskGraph() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
