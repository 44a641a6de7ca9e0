package dev.specdiff4j.engine.api;

import dev.specdiff4j.tokenizer.IncrementalDecoder;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.util.List;

/**
 * Turns committed tokens into streamed text: never half a character, and text that could still become
 * a stop string is held back. When a stop string appears, the text ends before it and the generation stops.
 */
final class TextAssembler {
    private final IncrementalDecoder decoder;
    private final List<String> stops;
    private final GenerationListener listener;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    TextAssembler(Tokenizer tokenizer, List<String> stops, GenerationListener listener) {
        this.decoder = tokenizer.newDecoder();
        this.stops = stops;
        this.listener = listener;
    }

    /** Adds tokens; false once a stop string has appeared. */
    boolean accept(int[] ids) {
        listener.onTokens(ids);
        for (int id : ids) {
            text.append(decoder.push(id));
            if (checkStop()) return false;
        }
        emit(safeLength());
        return true;
    }

    /** Flushes what is held back; returns the final text. */
    String finish() {
        if (!stopped) {
            text.append(decoder.finish());
            checkStop();
        }
        emit(text.length());
        return text.toString();
    }

    private boolean checkStop() {
        for (String stop : stops) {
            int at = text.indexOf(stop, Math.max(0, emitted - stop.length()));
            if (at >= 0) {
                text.setLength(at);
                stopped = true;
                emit(text.length());
                return true;
            }
        }
        return false;
    }

    /** Text that cannot be the start of a stop string any more. */
    private int safeLength() {
        int safe = text.length();
        for (String stop : stops) {
            for (int keep = Math.min(stop.length() - 1, text.length()); keep > 0; keep--) {
                if (text.substring(text.length() - keep).equals(stop.substring(0, keep))) {
                    safe = Math.min(safe, text.length() - keep);
                    break;
                }
            }
        }
        return Math.max(safe, emitted);
    }

    private void emit(int upTo) {
        if (upTo > emitted) {
            listener.onText(text.substring(emitted, upTo));
            emitted = upTo;
        }
    }

    boolean stopped() {
        return stopped;
    }
}
