package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the interface that declares the kernel set: each of its abstract void methods is one
 * kernel, declared once there. {@link KernelProcessor} generates from it, at compile time, the C
 * header of the native ABI, the JNI adapter of native kernel libraries and the argument checks.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Kernels {
}
