package dev.specdiff4j.weights;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a conversion writes its output and how the finished output takes the place of an old one.
 *
 * <p>The output is built under {@code .NAME.partial} beside OUT. An old OUT stays untouched until the new
 * output is complete: a file is replaced by one atomic rename; a folder is renamed aside to
 * {@code .NAME.replaced}, the new folder renamed in, and only then the old one deleted. A run that is
 * killed part-way leaves at most those two names behind; the next conversion to the same OUT removes
 * them, or renames the old folder back when it was killed between the two renames.
 *
 * <p>{@code --force} only ever replaces what a conversion writes: a file for GGUF, and for safetensors a
 * folder holding nothing but {@link #FOLDER_FILES}. OUT must not be the working folder, the input or a
 * folder that contains either of them.
 */
final class OutputPlacement {
    /** The files of an HF folder that a conversion writes. */
    static final Set<String> FOLDER_FILES = Set.of("config.json", "model.safetensors", "tokenizer.json");

    /** The points between the steps of putting an output in place, where a test can inject a failure. */
    enum Step {
        NEW_COMPLETE, OLD_SET_ASIDE, NEW_IN_PLACE
    }

    /** A test seam: called after each step; throwing from it stands for a crash at that point. */
    @FunctionalInterface
    interface Faults {
        void after(Step step) throws IOException;

        Faults NONE = step -> { };
    }

    /** Writes the content of a new output folder. */
    @FunctionalInterface
    interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /** Writes the content of a new output file. */
    @FunctionalInterface
    interface FileWriter {
        void write(OutputStream out) throws IOException;
    }

    private final Path shown;
    private final Path out;
    private final Path partial;
    private final Path replaced;
    private final boolean force;
    private final Faults faults;

    private OutputPlacement(Path shown, Path out, boolean force, Faults faults) {
        this.shown = shown;
        this.out = out;
        this.partial = out.resolveSibling("." + out.getFileName() + ".partial");
        this.replaced = out.resolveSibling("." + out.getFileName() + ".replaced");
        this.force = force;
        this.faults = faults;
    }

    /**
     * Checks that OUT may be written (or replaced, with force) and clears what an interrupted earlier run
     * left there; each clean-up is reported to {@code progress}.
     *
     * @param workingFolder the folder relative paths are resolved against
     */
    static OutputPlacement prepare(Path in, Path out, boolean folder, boolean force, Path workingFolder, ConversionProgress progress,
                                   Faults faults) throws IOException {
        Path target = workingFolder.resolve(out).normalize();
        if (target.getFileName() == null || workingFolder.normalize().startsWith(target)) {
            throw new ConversionException("OUT '" + out + "' is the current folder or one above it; give the name of a new "
                    + (folder ? "folder" : "file") + " for the output");
        }
        if (canonical(workingFolder.resolve(in)).startsWith(canonical(target))) {
            throw new ConversionException("OUT '" + out + "' is the input or a folder that contains it; give the name of a new "
                    + (folder ? "folder" : "file") + " for the output");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new ConversionException("cannot write " + out + ": the folder " + target.getParent() + " does not exist");
        }
        OutputPlacement placement = new OutputPlacement(out, target, force, faults);
        for (String note : placement.clearLeftovers()) progress.note(note);
        placement.checkReplaceable(folder);
        return placement;
    }

    private static Path canonical(Path p) throws IOException {
        return Files.exists(p) ? p.toRealPath() : p.normalize();
    }

    private void checkReplaceable(boolean folder) throws IOException {
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) return;
        if (!force) throw new ConversionException(shown + " exists (use --force to overwrite it)");
        boolean isFolder = Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS);
        if (folder && !isFolder) {
            throw new ConversionException(shown + " is a file, and --to safetensors writes a folder; --force does not replace a file with a folder");
        }
        if (!folder && isFolder) {
            throw new ConversionException(shown + " is a folder, and --to gguf writes a file; --force does not replace a folder with a file");
        }
        if (folder) {
            List<String> foreign = foreignEntries(out);
            if (!foreign.isEmpty()) {
                throw new ConversionException(shown + " holds files that convert does not write (" + String.join(", ", foreign)
                        + "); --force only replaces a folder written by convert, so choose another OUT");
            }
        }
    }

    /** Entries of a folder other than the files a conversion writes (at most three, for a message). */
    private static List<String> foreignEntries(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> !FOLDER_FILES.contains(p.getFileName().toString()) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> p.getFileName().toString()).sorted().limit(3).toList();
        }
    }

    /** Removes this OUT's {@code .partial} and {@code .replaced} names, restoring an old output that was set aside. */
    List<String> clearLeftovers() throws IOException {
        List<String> notes = new ArrayList<>();
        if (Files.exists(partial, LinkOption.NOFOLLOW_LINKS)) {
            deleteOwn(partial);
            notes.add("removed " + partial + ", left by an interrupted conversion");
        }
        if (Files.exists(replaced, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                deleteOwn(replaced);
                notes.add("removed " + replaced + ", the old output an interrupted conversion had already replaced");
            } else {
                Files.move(replaced, out, StandardCopyOption.ATOMIC_MOVE);
                notes.add("restored " + shown + " from " + replaced + ", where an interrupted conversion had set it aside");
            }
        }
        return notes;
    }

    /** Deletes a file or a folder of conversion files; anything else under our names is left for the user. */
    private static void deleteOwn(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            List<String> foreign = foreignEntries(p);
            if (!foreign.isEmpty()) {
                throw new ConversionException(p + " holds files that convert does not write (" + String.join(", ", foreign)
                        + "), so it was not removed; move or delete it, then convert again");
            }
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
            }
        } else {
            Files.delete(p);
        }
    }

    /** Writes a new output file and puts it in place. */
    void writeFile(FileWriter writer) throws IOException {
        try {
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
                writer.write(stream);
            }
            faults.after(Step.NEW_COMPLETE);
            if (force) Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            else moveIn();
            faults.after(Step.NEW_IN_PLACE);
        } catch (IOException | RuntimeException e) {
            undo(e);
            throw e;
        }
    }

    /** Writes a new output folder and puts it in place; an old folder is deleted only after the new one is in. */
    void writeFolder(FolderWriter writer) throws IOException {
        try {
            Files.createDirectory(partial);
            writer.write(partial);
            faults.after(Step.NEW_COMPLETE);
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                checkReplaceable(true);
                Files.move(out, replaced, StandardCopyOption.ATOMIC_MOVE);
                faults.after(Step.OLD_SET_ASIDE);
                moveIn();
                faults.after(Step.NEW_IN_PLACE);
                deleteOwn(replaced);
            } else {
                moveIn();
                faults.after(Step.NEW_IN_PLACE);
            }
        } catch (IOException | RuntimeException e) {
            undo(e);
            throw e;
        }
    }

    private void moveIn() throws IOException {
        try {
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new ConversionException(shown + " exists (use --force to overwrite it)");
        }
    }

    /** After a failure: the same clean-up the next run would do, so that the old output is back in place. */
    private void undo(Exception failure) {
        try {
            clearLeftovers();
        } catch (IOException | RuntimeException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }
}
