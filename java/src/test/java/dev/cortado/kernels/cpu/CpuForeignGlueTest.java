package dev.cortado.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.ForeignGlue;
import dev.cortado.kernels.NativeKernels;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A libjnicortado_cpu whose JNI glue was compiled from other kernel declarations (another
 * CORTADO_KERNELS_ABI_HASH) is refused when the cpu kernel set is asked for, with a message that
 * names the library, the file it was loaded from and both hashes, in a child JVM that exits normally: never a call through
 * glue that would pass a kernel another argument list.
 */
class CpuForeignGlueTest {

    @TempDir
    Path dir;

    @Test
    void aLibraryWhoseGlueCameFromOtherDeclarationsIsRefusedByName() throws Exception {
        assumeTrue(CpuKernels.isAvailable(), "the cpu library did not load here: " + CpuKernels.loadFailure());
        Path target = ForeignGlue.buildDirectory(CpuKernels.class);
        assumeTrue(target != null, "cortado-core's classes come from a jar here, without the native archive the foreign library links");
        Path classes = ForeignGlue.build(dir, target.resolve("generated-sources/native/cortado_kernels.h"), target.resolve("native/cpu/libcortado_cpu.a"),
                List.of(target.resolve("../../native/cpu")), CpuLibrary.class, "jnicortado_cpu", CpuLibrary.class.getName(), CpuTable.class.getName());
        String out = ForeignGlue.probe(classes, "cpu");
        Path foreign = classes.resolve("dev/cortado/kernels/cpu").resolve(Loader.getPlatform()).resolve("libjnicortado_cpu.so").toRealPath();
        String expected = String.format("cpu: the JNI glue of libjnicortado_cpu (cortado-core, loaded from %s) was compiled from kernel declarations with ABI hash "
                + "%016x, this cortado-core from %016x: libjnicortado_cpu is not the library built with these classes", foreign, ForeignGlue.FOREIGN_HASH, NativeKernels.ABI_HASH);
        assertTrue(out.contains("REFUSED:") && out.contains(expected), "expected the refusal\n  " + expected + "\nthe child printed:\n" + out);
    }
}
