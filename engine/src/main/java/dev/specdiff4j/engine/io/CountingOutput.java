package dev.specdiff4j.engine.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Counts what passes through, so writers can check that each tensor body wrote exactly its size. */
final class CountingOutput extends FilterOutputStream {
    private long count;

    CountingOutput(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count += len;
    }

    long count() {
        return count;
    }

    void zeros(long n) throws IOException {
        for (long i = 0; i < n; i++) write(0);
    }
}
