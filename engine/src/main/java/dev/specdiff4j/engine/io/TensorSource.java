package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.Tensor;

import java.util.List;
import java.util.Optional;

/** Named tensors from one or more weight files. Tensors stay valid until the source is closed. */
public interface TensorSource extends AutoCloseable {
    /** Where the tensors come from, for messages. */
    String description();

    List<String> names();

    Optional<Tensor> find(String name);

    /** The tensor, or a clear error naming it and the file. */
    default Tensor tensor(String name) {
        return find(name).orElseThrow(() -> new WeightFileException(description(), name, "missing"));
    }

    @Override
    void close();
}
