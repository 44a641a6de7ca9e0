package dev.specdiff4j.tokenizer;

/**
 * The special tokens a tokenizer's files ask to put around a text before a model reads it: BOS in front
 * (GGUF {@code tokenizer.ggml.add_bos_token}, HF {@code TemplateProcessing} / {@code add_bos_token}) and
 * EOS behind ({@code add_eos_token}). An id of -1 means the files ask for none.
 *
 * <p>{@link #frame} adds them as llama.cpp's {@code llama_tokenize(..., add_special=true)} and HF's
 * {@code encode(add_special_tokens=True)} do, with one difference: a text that already starts with BOS
 * (a chat template rendering {@code <|begin_of_text|>} or {@code <s>}, read as a special token) gets no
 * second one, and a text that already ends with the EOS to add gets no second EOS; llama.cpp warns and
 * keeps both, HF silently keeps both.
 */
public record SequenceMarks(int bos, int eos) {
    /** Nothing is added (GPT-2, Qwen2). */
    public static final SequenceMarks NONE = new SequenceMarks(-1, -1);

    public SequenceMarks {
        if (bos < -1 || eos < -1) throw new IllegalArgumentException("ids must be -1 (none) or non-negative: " + bos + ", " + eos);
    }

    public boolean addsBos() {
        return bos >= 0;
    }

    public boolean addsEos() {
        return eos >= 0;
    }

    /** The ids a model should see for a text encoded as {@code body}. */
    public int[] frame(int[] body) {
        boolean bosFirst = addsBos() && (body.length == 0 || body[0] != bos);
        boolean eosLast = addsEos() && (body.length == 0 || body[body.length - 1] != eos);
        if (!bosFirst && !eosLast) return body;
        int[] out = new int[body.length + (bosFirst ? 1 : 0) + (eosLast ? 1 : 0)];
        if (bosFirst) out[0] = bos;
        System.arraycopy(body, 0, out, bosFirst ? 1 : 0, body.length);
        if (eosLast) out[out.length - 1] = eos;
        return out;
    }
}
