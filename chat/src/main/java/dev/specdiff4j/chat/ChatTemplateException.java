package dev.specdiff4j.chat;

/** A chat template that cannot be used or rendered: a syntax error, or the template's own raise_exception. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
