package dev.specdiff4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads the prompt from standard input as UTF-8, saying once on stderr when bytes had to be replaced. */
final class Stdin {
    private Stdin() {
    }

    static String readAll(PrintWriter err) throws IOException {
        return decode(System.in, err);
    }

    static String decode(InputStream in, PrintWriter err) throws IOException {
        byte[] bytes = in.readAllBytes();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer input = ByteBuffer.wrap(bytes);
        CharBuffer text = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        long malformed = 0;
        CoderResult result;
        while ((result = decoder.decode(input, text, true)).isError()) {
            malformed += result.length();
            input.position(input.position() + result.length());
            text.put('\uFFFD');
        }
        decoder.flush(text);
        if (malformed > 0) {
            err.println("warning: stdin was not valid UTF-8; " + malformed + " malformed byte" + (malformed == 1 ? " was" : "s were")
                    + " replaced with U+FFFD");
            err.flush();
        }
        return text.flip().toString();
    }
}
