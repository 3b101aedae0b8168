package dev.cortado.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.ForeignGlue;
import dev.cortado.kernels.NativeKernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stale cortado-cuda beside this cortado-core: an emulated CUDA library whose JNI glue was
 * compiled from other kernel declarations (another CORTADO_KERNELS_ABI_HASH) is refused when the
 * cuda kernel set is asked for, with a message naming the library, both hashes and the fix, in a
 * child JVM that exits normally.
 */
class CudaForeignGlueTest {

    @TempDir
    Path dir;

    @Test
    void aCudaLibraryFromAnotherBuildIsRefusedWithTheFix() throws Exception {
        Path target = ForeignGlue.buildDirectory(CudaEngine.class), core = ForeignGlue.buildDirectory(NativeKernels.class);
        assumeTrue(target != null && core != null, "cortado-cuda's or cortado-core's classes come from a jar here, without the native outputs");
        Path archive = target.resolve("native/emu/libcortado_cuda_emu.a");
        assumeTrue(Files.isRegularFile(archive), archive + " is not here (the asan profile builds emu-asan): the foreign library links this archive");
        Path classes = ForeignGlue.build(dir, core.resolve("generated-sources/native/cortado_kernels.h"), archive, List.of(target.resolve("../../../native/cuda")),
                CudaEmuLibrary.class, "jnicortado_cuda_emu", CudaEmuLibrary.class.getName(), CudaRuntime.class.getName(), CudaEmuTable.class.getName());
        String out = ForeignGlue.probe(classes, "cuda", "cortado.cuda=emulate");
        String expected = String.format("cuda: the JNI glue of libjnicortado_cuda_emu (cortado-cuda, loaded from %s) was compiled from kernel declarations with ABI hash %016x, "
                + "this cortado-core from %016x: cortado-cuda and cortado-core come from different builds",
                classes.resolve("dev/cortado/cuda").resolve(Loader.getPlatform()).resolve("libjnicortado_cuda_emu.so").toRealPath(),
                ForeignGlue.FOREIGN_HASH, NativeKernels.ABI_HASH);
        assertTrue(out.contains("REFUSED:") && out.contains(expected), "expected the refusal\n  " + expected + "\nthe child printed:\n" + out);
    }
}
