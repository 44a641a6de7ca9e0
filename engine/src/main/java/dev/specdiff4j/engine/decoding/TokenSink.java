package dev.specdiff4j.engine.decoding;

/** Receives generated tokens as a decoding loop commits them; returning false stops the loop. */
@FunctionalInterface
public interface TokenSink {
    boolean accept(int[] tokens);
}
