package dev.specdiff4j.bench;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.LoadedModel;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * One model session that times forward passes of k rows after a cached context: {@code applyAsDouble(k)} is the median
 * of 5 passes, in milliseconds. {@link KernelAb} loads it once per variant in a class loader of its own, so that each
 * variant's engine reads its own system properties and is compiled by the JIT on its own.
 */
public final class PassTimer implements IntToDoubleFunction, AutoCloseable {
    private final Kernels kernels;
    private final LoadedModel model;
    private final CausalLanguageModel.Session session;
    private final int[] tokens;
    private final int context;

    public PassTimer(String modelPath, int context, int threads, int largestPass) throws Exception {
        kernels = new VectorKernels(threads); // not through ServiceLoader: it would find the factories of the parent JVM's class path
        try {
            model = LoadedModel.load(Path.of(modelPath), new LoadOptions(null, kernels));
        } catch (Exception | Error e) {
            kernels.close();
            throw e;
        }
        if (context < 1 || context + largestPass > model.contextLength()) {
            close(model, kernels);
            throw new IllegalArgumentException("a context of " + context + " tokens and passes of up to " + largestPass + " rows do not fit the model's "
                    + model.contextLength() + " positions");
        }
        this.context = context;
        tokens = new int[context + largestPass];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 7919L + 13) % model.vocabSize());
        session = model.newSession();
        session.forward(Arrays.copyOf(tokens, context), 1);
    }

    @Override
    public double applyAsDouble(int k) {
        int[] rows = Arrays.copyOfRange(tokens, context, context + k);
        double[] t = new double[5];
        for (int i = 0; i < t.length; i++) {
            long start = System.nanoTime();
            session.forward(rows);
            t[i] = (System.nanoTime() - start) / 1e6;
            session.truncate(context);
        }
        Arrays.sort(t);
        return t[2];
    }

    @Override
    public void close() {
        session.close();
        close(model, kernels);
    }

    private static void close(LoadedModel model, Kernels kernels) {
        try {
            model.close();
        } finally {
            kernels.close();
        }
    }
}
