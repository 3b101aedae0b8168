package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the JavaCPP class of a native kernel library ({@code @Platform(library = ...)}): {@link
 * KernelProcessor} generates beside it the class {@link #name}, the JNI binding of the library's
 * {@code struct cortado_kernels} for the kernel set {@link #kernels}, which implements that set's
 * generated {@code NativeTable}. Each library lists its own table class in its javacpp build, so
 * no two libraries export the same JNI symbol: a JNI method binds to whichever loaded library
 * exports its symbol, and with a shared class a stale library's glue could serve another
 * library's table. The glue also carries the ABI hash of the header it was compiled with, which
 * NativeKernels compares before any call. Works in any module that has cortado-core (and this
 * processor) on its compile path: the kernel declarations are read from its classes there.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface KernelTableBinding {

    /** The simple name of the generated table class, in the annotated class's package (e.g. "CudaTable"). */
    String name();

    /** The kernel declaration: the interface marked {@link Kernels}. */
    Class<?> kernels();

    /** The jar that ships the library (e.g. "cortado-cuda"), named in the message when its glue is from another build. */
    String artifact();
}
