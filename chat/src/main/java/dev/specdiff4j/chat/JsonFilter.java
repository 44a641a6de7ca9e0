package dev.specdiff4j.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.Map;

/**
 * {@code tojson} as Hugging Face's templates expect it: Python's {@code json.dumps} layout (", " and ": "
 * between items, {@code indent=N} for one item per line), non-ASCII text kept as it is.
 */
final class JsonFilter implements Filter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, (Object[]) args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.get("indent");
        if (indent == null && args.length > 0) indent = args[0];
        int n = indent == null ? -1 : Integer.parseInt(indent.toString().trim());
        StringBuilder b = new StringBuilder();
        PythonJson.write(var, n, 0, b);
        return b.toString();
    }
}
