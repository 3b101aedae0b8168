package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A pointer argument the kernel writes and does not read first, over {@link #value} floats (a
 * Java expression, as for {@link In}). It overlaps no input and no other output, except that it
 * may be exactly one of the inputs named in {@link #inPlace}.
 */
// in the class file: another module's @KernelTableBinding reads KernelSet from cortado-core's classes
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Out {
    String value();

    /** Inputs this output may be (the same memory at the same offset: the kernel works in place). */
    String[] inPlace() default {};

    String as() default "";
}
