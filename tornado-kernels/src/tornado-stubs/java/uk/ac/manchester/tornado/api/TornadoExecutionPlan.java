package uk.ac.manchester.tornado.api;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoExecutionPlan (sealed there, final here). */
public final class TornadoExecutionPlan implements AutoCloseable {
    public TornadoExecutionPlan(ImmutableTaskGraph... immutableTaskGraphs) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public static TornadoDevice getDevice(int driverIndex, int deviceIndex) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public TornadoExecutionResult execute() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public TornadoExecutionPlan withDevice(TornadoDevice device) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public TornadoExecutionPlan withGridScheduler(GridScheduler gridScheduler) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public TornadoExecutionPlan freeDeviceMemory() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    @Override
    public void close() throws TornadoExecutionPlanException {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
