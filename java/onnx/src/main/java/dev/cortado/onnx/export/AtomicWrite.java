package dev.cortado.onnx.export;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file writes, as cortado-core's model files do them: the bytes go to a temporary file
 * beside the target, are forced to disk, and the temporary is renamed over the target atomically
 * (then the directory is synced). An interrupted write leaves the old file, never half a new one.
 */
final class AtomicWrite {

    private AtomicWrite() {
    }

    /** Writes {@code bytes} to {@code file} atomically; an IOException naming the file when it cannot. */
    static void write(Path file, byte[] bytes) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new IOException(file + ": cannot be written (" + e + ")", e);
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot open a directory for syncing; the rename itself is still atomic
        }
    }
}
