package uk.ac.manchester.tornado.api.enums;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoDeviceType. */
public enum TornadoDeviceType {
    UNKNOWN, DEFAULT, CPU, GPU, FPGA, ACCELERATOR, CUSTOM, ALL
}
