package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.tensor.Tensor;

import java.util.Arrays;

/** Looks up a model's tensors by name (under a prefix) and checks their shapes, naming tensor and file in errors. */
public record TensorNames(TensorSource source, String prefix) {

    public Tensor matrix(String name, int rows, int cols) {
        Tensor t = source.tensor(prefix + name);
        long[] s = t.shape();
        if (s.length != 2 || s[0] != rows || s[1] != cols) {
            throw new ModelFormatException(source.description() + ": tensor '" + prefix + name + "' has shape "
                    + Arrays.toString(s) + ", expected [" + rows + ", " + cols + "]");
        }
        return t;
    }

    public float[] vector(String name, int length) {
        Tensor t = source.tensor(prefix + name);
        if (t.elementCount() != length || t.rank() > 2 || (t.rank() == 2 && t.shape()[0] != 1)) {
            throw new ModelFormatException(source.description() + ": tensor '" + prefix + name + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected [" + length + "]");
        }
        return t.toFloatArray();
    }

    /** As {@link #vector}, or null when the tensor is absent. */
    public float[] optionalVector(String name, int length) {
        return source.find(prefix + name).isPresent() ? vector(name, length) : null;
    }

    public boolean has(String name) {
        return source.find(prefix + name).isPresent();
    }
}
