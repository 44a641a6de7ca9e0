package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.tensor.Tensor;

/**
 * A plain double-precision forward pass of a RMSNorm/SwiGLU/RoPE transformer, written from HF's LlamaForCausalLM and
 * Qwen3ForCausalLM equations with no kernel, no cache and no batching: the test oracle of {@link TransformerTest}. Also
 * what the MDLM DiT adds: bidirectional attention (every position sees all), per-feature residual gates
 * (x += gate ⊙ y) and an LM-head bias.
 */
final class ScalarTransformer {
    private ScalarTransformer() {
    }

    /** The logits after each of {@code tokens}. */
    static double[][] logits(TransformerSpec s, TransformerWeights w, int[] tokens) {
        int n = tokens.length;
        int d = s.dim();
        int hd = s.headDim();
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) x[t] = row(w.tokenEmbedding(), tokens[t]);
        double[] inv = s.rope().inverseFrequency();
        for (TransformerWeights.Block b : w.blocks()) {
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], b.attentionNorm(), s.normEps());
                q[t] = linear(b.wq(), h, b.qBias());
                k[t] = linear(b.wk(), h, b.kBias());
                v[t] = linear(b.wv(), h, b.vBias());
                for (int head = 0; head < s.heads(); head++) headNormAndRope(q[t], head * hd, hd, b.qNorm(), s.normEps(), inv, t);
                for (int head = 0; head < s.kvHeads(); head++) headNormAndRope(k[t], head * hd, hd, b.kNorm(), s.normEps(), inv, t);
            }
            int group = s.heads() / s.kvHeads();
            for (int t = 0; t < n; t++) {
                double[] attn = new double[s.qDim()];
                for (int head = 0; head < s.heads(); head++) {
                    int kv = head / group;
                    int visible = s.attention() == TransformerSpec.Attention.CAUSAL ? t + 1 : n;
                    double[] scores = new double[visible];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[j][kv * hd + i];
                        scores[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) sum += scores[j] = Math.exp(scores[j] - max);
                    for (int j = 0; j < visible; j++) {
                        for (int i = 0; i < hd; i++) attn[head * hd + i] += scores[j] / sum * v[j][kv * hd + i];
                    }
                }
                add(x[t], linear(b.wo(), attn, b.oBias()), b.attentionGate());
                double[] h = rmsNorm(x[t], b.mlpNorm(), s.normEps());
                double[] gate = linear(b.gate(), h, null);
                double[] up = linear(b.up(), h, null);
                for (int i = 0; i < gate.length; i++) gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                add(x[t], linear(b.down(), gate, null), b.mlpGate());
            }
        }
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) logits[t] = linear(w.lmHead(), rmsNorm(x[t], w.finalNorm(), s.normEps()), w.lmHeadBias());
        return logits;
    }

    /** Qwen 3's per-head RMSNorm (when present), then rotate-half RoPE at {@code position}. */
    private static void headNormAndRope(double[] x, int offset, int hd, float[] norm, float eps, double[] inv, int position) {
        if (norm != null) {
            double[] head = new double[hd];
            System.arraycopy(x, offset, head, 0, hd);
            System.arraycopy(rmsNorm(head, norm, eps), 0, x, offset, hd);
        }
        int half = hd / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * inv[i];
            double a = x[offset + i];
            double b = x[offset + i + half];
            x[offset + i] = a * Math.cos(angle) - b * Math.sin(angle);
            x[offset + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    private static double[] rmsNorm(double[] x, float[] weight, float eps) {
        double squares = 0;
        for (double v : x) squares += v * v;
        double inv = 1 / Math.sqrt(squares / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
        return out;
    }

    private static double[] linear(Tensor w, double[] x, float[] bias) {
        double[] out = new double[w.rows()];
        for (int r = 0; r < out.length; r++) {
            double sum = bias == null ? 0 : bias[r];
            for (int c = 0; c < x.length; c++) sum += w.get((long) r * w.cols() + c) * x[c];
            out[r] = sum;
        }
        return out;
    }

    private static double[] row(Tensor table, int id) {
        double[] out = new double[table.cols()];
        for (int i = 0; i < out.length; i++) out[i] = table.get((long) id * table.cols() + i);
        return out;
    }

    private static void add(double[] x, double[] y, float[] gate) {
        for (int i = 0; i < x.length; i++) x[i] += (gate == null ? 1 : gate[i]) * y[i];
    }
}
