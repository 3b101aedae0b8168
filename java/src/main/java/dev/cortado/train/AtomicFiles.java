package dev.cortado.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe writes, for every file Cortado saves: write a temporary beside the target, fsync it,
 * rename it into place, fsync the directory. An interrupted write leaves the old file, never half
 * a new one.
 */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Forces a file's or directory's contents to disk. */
    static void fsync(Path path) throws IOException {
        boolean dir = Files.isDirectory(path);
        try (FileChannel ch = FileChannel.open(path, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!dir) throw e; // some file systems cannot open directories for sync; the rename is still atomic
        }
    }

    /** Renames {@code from} to {@code to} atomically (same directory) and syncs the parent. */
    static void publish(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot atomically rename " + from + " to " + to + ": " + e.getMessage(), e);
        }
        if (to.getParent() != null) fsync(to.getParent());
    }

    /**
     * Writes bytes to {@code file} atomically, through the temporary {@code <file>.tmp} (removed if
     * the write fails). The file gets the permissions of any new file (rw-r--r-- under the usual
     * umask). An IOException names the file.
     */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(tmp, bytes);
            fsync(tmp);
            publish(tmp, file);
        } catch (IOException e) {
            IOException named = new IOException(file + ": cannot be written (" + e + ")", e);
            try {
                if (Files.isRegularFile(tmp)) Files.delete(tmp);
            } catch (IOException cleanup) {
                named.addSuppressed(cleanup);
            }
            throw named;
        }
    }
}
