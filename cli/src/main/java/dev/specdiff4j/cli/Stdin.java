package dev.specdiff4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

final class Stdin {
    private Stdin() {
    }

    static String readAll() throws IOException {
        return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
