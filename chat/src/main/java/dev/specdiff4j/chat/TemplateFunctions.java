package dev.specdiff4j.chat;

import com.hubspot.jinjava.objects.date.StrftimeFormatter;

import java.time.ZonedDateTime;

/** The functions Hugging Face gives chat templates besides Jinja's own; public static for Jinjava's function table. */
public final class TemplateFunctions {
    private TemplateFunctions() {
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    public static Object raiseException(Object message) {
        throw new ChatTemplateException("the chat template refused the conversation: " + message);
    }

    /** {@code strftime_now(format)}: the local time in a C strftime format, as Python's datetime.now().strftime. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format);
    }
}
