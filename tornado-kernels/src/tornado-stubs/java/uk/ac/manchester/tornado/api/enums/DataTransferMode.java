package uk.ac.manchester.tornado.api.enums;

/** Compile-only stand-in for TornadoVM 5.2.0's DataTransferMode (same constants). */
public class DataTransferMode {
    public static final int FIRST_EXECUTION = 0;
    public static final int EVERY_EXECUTION = 1;
    public static final int UNDER_DEMAND = 2;

    private DataTransferMode() {
    }
}
